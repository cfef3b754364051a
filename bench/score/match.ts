import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { Priority } from './conditions.js'
import { checks, ruleRows, scenarioRows } from './rows.js'
import {
  FLAP_WINDOW_MS,
  PRIORITY_RANK,
  TOLERANCE_MS,
  type AlarmResult,
  type ConditionResult,
  type ScoreInput,
  type ScoreResult,
} from './score-types.js'

export * from './score-types.js'

interface Segment {
  fromMs: number
  toMs: number
  priority: Priority
  emittedTsMs: number
}

/** The open stretches of each episode at each priority, from its events. */
function episodeSegments(events: readonly AlertEvent[]): Map<string, { segments: Segment[] }> {
  const byAlert = new Map<string, AlertEvent[]>()
  for (const e of events) byAlert.set(e.alertId, [...(byAlert.get(e.alertId) ?? []), e])
  const out = new Map<string, { segments: Segment[] }>()
  for (const [alertId, list] of byAlert) {
    list.sort((a, b) => a.eventTsMs - b.eventTsMs || a.emittedTsMs - b.emittedTsMs)
    const segments: Segment[] = []
    let open: Segment | undefined
    for (const e of list) {
      const ends = e.transition === 'cleared' || e.transition === 'reset'
      const priority = e.priority === 'unspecified' ? undefined : e.priority
      if (open && (ends || (priority && priority !== open.priority))) {
        open.toMs = e.eventTsMs
        segments.push(open)
        open = undefined
      }
      if (!ends && priority && !open) {
        open = { fromMs: e.eventTsMs, toMs: Infinity, priority, emittedTsMs: e.emittedTsMs }
      }
    }
    if (open) segments.push(open)
    const first = list[0] as AlertEvent
    out.set(`${first.deviceId}\u0000${first.ruleId}\u0000${alertId}`, { segments })
  }
  return out
}

const round1 = (n: number): number => Math.round(n * 10) / 10

export const scenarioLabel = (scenarios: readonly string[]): string =>
  scenarios.length === 0 ? 'none' : [...scenarios].sort().join('+')

/** Matches alert events against the ground truth: sensitivity, timing, unwanted alarms and flaps. */
export function scoreRun(input: ScoreInput): ScoreResult {
  // Strictly inside the run: the fleet's devices disconnect when it ends, which is no finding.
  const inWindow = input.events.filter((e) => e.eventTsMs <= input.endMs)
  const deviceOf = new Map(input.devices.map((d) => [d.deviceId, d]))
  const labelOf = (id: string): string => scenarioLabel(deviceOf.get(id)?.scenarios ?? [])
  const episodes = episodeSegments(inWindow)
  const segmentsOf = (deviceId: string, ruleId: string): Segment[] =>
    [...episodes.entries()]
      .filter(([key]) => key.startsWith(`${deviceId}\u0000${ruleId}\u0000`))
      .flatMap(([, e]) => e.segments)

  const conditions = input.truth
    .filter((c) => deviceOf.has(c.deviceId))
    .map((c): ConditionResult => {
      const from = c.onsetMs
      const to = c.endMs + TOLERANCE_MS
      const segments = segmentsOf(c.deviceId, c.ruleId)
      const hits = segments
        .filter(
          (s) => PRIORITY_RANK[s.priority] >= PRIORITY_RANK[c.priority] && s.fromMs <= to && s.toMs >= from,
        )
        .sort((a, b) => a.fromMs - b.fromMs)
      const hit = hits[0]
      const base = { ...c, scenario: labelOf(c.deviceId) }
      if (!hit) {
        const lower = segments.find((s) => s.fromMs <= to && s.toMs >= from)
        const why = lower
          ? `only ${lower.priority} priority while the condition lasted ${round1((c.endMs - c.onsetMs) / 1000)} s`
          : `no ${c.ruleId} alarm while the condition lasted ${round1((c.endMs - c.onsetMs) / 1000)} s`
        return { ...base, alarmed: false, withinDelay: false, why }
      }
      const alreadyActive = hit.fromMs < from
      const timeToAlarmMs = alreadyActive ? 0 : hit.fromMs - from
      const withinDelay = timeToAlarmMs <= c.delayMs + TOLERANCE_MS
      const result: ConditionResult = {
        ...base,
        alarmed: true,
        timeToAlarmMs,
        withinDelay,
        ...(alreadyActive
          ? { alreadyActive }
          : { emittedAfterDueMs: hit.emittedTsMs - (c.onsetMs + c.delayMs) }),
      }
      if (!withinDelay) {
        const hint = input.lateHints?.[c.ruleId]
        result.why = `alarmed at +${round1(timeToAlarmMs / 1000)} s, condition delay ${c.delayMs / 1000} s${hint ? `: ${hint}` : ''}`
      }
      return result
    })

  const alarms = classifyAlarms(inWindow, input, labelOf)
  return {
    startMs: input.startMs,
    endMs: input.endMs,
    durationS: Math.round((input.endMs - input.startMs) / 1000),
    scenarios: scenarioRows(input, conditions, alarms, labelOf),
    rules: ruleRows(conditions),
    conditions,
    alarms,
    checks: checks(input, conditions, alarms),
  }
}

/** Every new alarm (raised, or a priority rise): explained by the truth, by a deterioration, or unwanted. */
function classifyAlarms(
  events: readonly AlertEvent[],
  input: ScoreInput,
  labelOf: (id: string) => string,
): AlarmResult[] {
  const sorted = [...events].sort((a, b) => a.eventTsMs - b.eventTsMs)
  const lastClear = new Map<string, number>()
  const out: AlarmResult[] = []
  const deviceOf = new Map(input.devices.map((d) => [d.deviceId, d]))
  for (const e of sorted) {
    const key = `${e.deviceId}\u0000${e.ruleId}`
    if (e.transition === 'cleared' || e.transition === 'reset') lastClear.set(key, e.eventTsMs)
    // An escalation for want of an acknowledgement carries `escalation`: no new condition.
    const announces = e.transition === 'raised' || (e.transition === 'escalated' && !e.escalation)
    if (!announces || e.priority === 'unspecified' || e.kind === 'unspecified') continue
    const explained = input.truth.some(
      (c) =>
        c.deviceId === e.deviceId &&
        c.ruleId === e.ruleId &&
        c.priority === e.priority &&
        e.eventTsMs >= c.onsetMs - TOLERANCE_MS &&
        e.eventTsMs <= c.endMs + TOLERANCE_MS,
    )
    const from = deviceOf.get(e.deviceId)?.deterioratingFromMs
    const supported = e.kind !== 'technical' && from !== undefined && e.eventTsMs >= from
    const cleared = lastClear.get(key)
    out.push({
      deviceId: e.deviceId,
      scenario: labelOf(e.deviceId),
      ruleId: e.ruleId,
      alertId: e.alertId,
      kind: e.kind,
      priority: e.priority,
      eventTsMs: e.eventTsMs,
      class: explained ? 'matched' : supported ? 'supported' : 'unwanted',
      flap: e.transition === 'raised' && cleared !== undefined && e.eventTsMs - cleared <= FLAP_WINDOW_MS,
    })
  }
  return out
}
