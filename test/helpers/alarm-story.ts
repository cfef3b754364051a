import type { AlertEvent } from '../../core/alerts/alert-event.js'

// Checks of what must NOT happen in a stream of alert transitions (issue #9): each returns the
// offending events as readable lines, so `expect(lines, why).toEqual([])` fails by listing them.

/** One transition as a line: `device rule#episode transition priority @+12.3s value`. */
export function describeEvent(e: AlertEvent, t0Ms = 0): string {
  const at = t0Ms ? `@+${((e.eventTsMs - t0Ms) / 1000).toFixed(1)}s` : `@${e.eventTsMs}`
  return `${e.deviceId} ${e.ruleId}#${e.episode} ${e.transition} ${e.priority} ${at} (${e.kind}, value ${e.value})`
}

/** What one device may and must show. Rules absent from both lists must not alarm at all. */
export interface DeviceExpectation {
  /** `rule:transition` pairs that must each appear at least once. */
  required: readonly string[]
  /** Rules that may alarm besides the required ones (a condition the scenario may or may not reach). */
  allowed?: readonly string[]
  /** Rules whose last episode may still be open at the end (the condition persists). */
  open?: readonly string[]
}

/** Transitions of rules a device's expectation does not name, and required ones that never came. */
export function againstExpectation(
  events: readonly AlertEvent[],
  expectation: DeviceExpectation,
  t0Ms = 0,
): { unwanted: string[]; missing: string[] } {
  const named = new Set([
    ...expectation.required.map((r) => r.split(':')[0]!),
    ...(expectation.allowed ?? []),
  ])
  const seen = new Set(events.map((e) => `${e.ruleId}:${e.transition}`))
  return {
    unwanted: events.filter((e) => !named.has(e.ruleId)).map((e) => describeEvent(e, t0Ms)),
    missing: expectation.required.filter((r) => !seen.has(r)),
  }
}

/**
 * The same transition of one alert twice (a re-evaluated or re-emitted record). `updated` may
 * repeat; an escalation is one per priority it reaches.
 */
export function duplicateTransitions(events: readonly AlertEvent[], t0Ms = 0): string[] {
  const seen = new Set<string>()
  const repeated: string[] = []
  for (const e of events) {
    if (e.transition === 'updated') continue
    const key = `${e.alertId}|${e.transition}|${e.priority}`
    if (seen.has(key)) repeated.push(describeEvent(e, t0Ms))
    seen.add(key)
  }
  return repeated
}

/** A rule raised again on a device within `windowMs` of clearing there (raise → clear → raise). */
export function flaps(events: readonly AlertEvent[], windowMs = 60_000, t0Ms = 0): string[] {
  const clearedAt = new Map<string, number>()
  const found: string[] = []
  for (const e of events) {
    const key = `${e.deviceId}|${e.ruleId}`
    if (e.transition === 'cleared' || e.transition === 'reset') clearedAt.set(key, e.eventTsMs)
    if (e.transition !== 'raised') continue
    const cleared = clearedAt.get(key)
    if (cleared !== undefined && e.eventTsMs - cleared < windowMs)
      found.push(
        `${describeEvent(e, t0Ms)}, ${((e.eventTsMs - cleared) / 1000).toFixed(1)} s after it cleared`,
      )
  }
  return found
}

/**
 * Episode bookkeeping per device and rule, for devices this stream saw from their start:
 * episodes raised 1, 2, 3 … without gaps; nothing of an episode before its `raised` (an
 * `updated` that should have been a `raised`); nothing after its `cleared`/`reset` but a later
 * episode's `raised`.
 */
export function episodeProblems(events: readonly AlertEvent[], t0Ms = 0): string[] {
  const problems: string[] = []
  const last = new Map<string, { episode: number; closed: boolean }>()
  for (const e of events) {
    const key = `${e.deviceId}|${e.ruleId}`
    const current = last.get(key)
    if (e.transition === 'raised') {
      const want = (current?.episode ?? 0) + 1
      if (e.episode !== want) problems.push(`${describeEvent(e, t0Ms)}: episode ${want} expected`)
      if (current && !current.closed)
        problems.push(`${describeEvent(e, t0Ms)}: raised while episode ${current.episode} is open`)
      last.set(key, { episode: e.episode, closed: false })
      continue
    }
    if (!current || current.episode !== e.episode)
      problems.push(`${describeEvent(e, t0Ms)}: no raised of episode ${e.episode} before it`)
    else if (current.closed) problems.push(`${describeEvent(e, t0Ms)}: after episode ${e.episode} ended`)
    if (current && current.episode === e.episode && (e.transition === 'cleared' || e.transition === 'reset'))
      current.closed = true
  }
  return problems
}

/** Episodes raised and never cleared or reset, unless `mayStayOpen` says the condition persists. */
export function unclosedEpisodes(
  events: readonly AlertEvent[],
  mayStayOpen: (e: AlertEvent) => boolean,
  t0Ms = 0,
): string[] {
  const open = new Map<string, AlertEvent>()
  for (const e of events) {
    if (e.transition === 'raised') open.set(e.alertId, e)
    if (e.transition === 'cleared' || e.transition === 'reset') open.delete(e.alertId)
  }
  return [...open.values()]
    .filter((e) => !mayStayOpen(e))
    .map((e) => `${describeEvent(e, t0Ms)}: never cleared`)
}
