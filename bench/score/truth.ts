import type { DeviceType } from '../../core/telemetry/device-types.js'
import type { TelemetrySample } from '../../core/telemetry/envelope.js'
import type { GroundTruthEvent } from '../../devices-sim/scenarios/scenario.js'
import {
  silenceTimeoutMs,
  type Kind,
  type Presence,
  type Priority,
  type SampleCondition,
  type ScoreRules,
} from './conditions.js'

/**
 * One alarm condition that was actually present on a device: the interval, the rule that should
 * see it, the priority it deserves and when the alarm is due (onset + the rule's condition delay).
 */
export interface TruthCondition {
  deviceId: string
  ruleId: string
  ruleType: string
  kind: Kind
  priority: Priority
  /** First sample (or event) at which the condition was present, true time ms. */
  onsetMs: number
  /** Last instant it was present. */
  endMs: number
  delayMs: number
  /** Where the truth came from, for the report. */
  source: string
}

interface Run {
  onsetMs: number
  lastMs: number
}

/**
 * Builds sample-derived truth as the simulator generates samples: per device and condition,
 * maximal runs of samples in which the condition is present. A run counts once it lasted at
 * least the condition delay (a shorter one must not alarm: that is what the delay is for).
 */
export function createTruthRecorder(rules: ScoreRules, typeOf: (deviceId: string) => DeviceType | undefined) {
  interface Tracker {
    condition: SampleCondition
    judge: (value: number, quality: TelemetrySample['quality']) => Presence
    run: Run | undefined
  }
  const trackers = new Map<string, Tracker[]>()
  const found: TruthCondition[] = []

  const close = (deviceId: string, t: Tracker): void => {
    const run = t.run
    t.run = undefined
    if (!run || run.lastMs - run.onsetMs < t.condition.delayMs) return
    const c = t.condition
    found.push({
      deviceId,
      ruleId: c.ruleId,
      ruleType: c.ruleType,
      kind: c.kind,
      priority: c.priority,
      onsetMs: run.onsetMs,
      endMs: run.lastMs,
      delayMs: c.delayMs,
      source: c.label,
    })
  }

  const trackersOf = (deviceId: string): Tracker[] => {
    let list = trackers.get(deviceId)
    if (!list) {
      const type = typeOf(deviceId)
      list = rules.sampleConditions
        .filter((c) => type !== undefined && c.appliesTo.includes(type))
        .map((condition) => ({ condition, judge: condition.track(), run: undefined }))
      trackers.set(deviceId, list)
    }
    return list
  }

  return {
    samples(deviceId: string, samples: readonly TelemetrySample[]): void {
      const list = trackersOf(deviceId)
      for (const s of samples) {
        for (const t of list) {
          if (t.condition.metric !== s.metric) continue
          const verdict = t.judge(s.value, s.quality)
          if (verdict === true) {
            t.run = t.run ? { ...t.run, lastMs: s.tsMs } : { onsetMs: s.tsMs, lastMs: s.tsMs }
          } else {
            close(deviceId, t)
            if (verdict === 'restart') t.run = { onsetMs: s.tsMs, lastMs: s.tsMs }
          }
        }
      }
    },
    /** Closes the runs still open at the end of the run and returns every condition found. */
    finish(): TruthCondition[] {
      for (const [deviceId, list] of trackers) for (const t of list) close(deviceId, t)
      return found
    },
  }
}

const BAND_RANK = { low: 0, 'low-medium': 1, medium: 2, high: 3 } as const
const BAND_PRIORITY: Record<1 | 2 | 3, Priority> = { 1: 'low', 2: 'medium', 3: 'high' }

/**
 * Truth from the scenarios' own records: NEWS2 bands of the sepsis trajectory the scenario
 * intends (computed by the simulator from the noise-free values, devices-sim/scenarios/news2.ts),
 * and the intervals a device was offline. Bands are cumulative: "at least medium" lasts from
 * the first medium or high until the band falls below medium.
 */
export function eventTruth(
  rules: ScoreRules,
  events: readonly GroundTruthEvent[],
  typeOf: (deviceId: string) => DeviceType | undefined,
  runEndMs: number,
): TruthCondition[] {
  const out: TruthCondition[] = []
  const byDevice = new Map<string, GroundTruthEvent[]>()
  for (const e of events) byDevice.set(e.deviceId, [...(byDevice.get(e.deviceId) ?? []), e])
  for (const [deviceId, list] of byDevice) {
    const type = typeOf(deviceId)
    if (type === undefined) continue
    const applicable = rules.eventRules.filter((r) => r.appliesTo.includes(type))
    for (const rule of applicable) {
      if (rule.ruleType === 'news2') out.push(...news2Truth(deviceId, rule.ruleId, list, runEndMs))
      else {
        const delayMs = silenceTimeoutMs(rule, type)
        let start: number | undefined
        // An outage still on at the end of the run lasts until then.
        const ends = [...list, { atMs: runEndMs, event: 'offline-end' }]
        for (const e of ends) {
          if (e.event === 'offline-start') start = e.atMs
          if (e.event === 'offline-end' && start !== undefined) {
            if (e.atMs - start >= delayMs) {
              out.push({
                deviceId,
                ruleId: rule.ruleId,
                ruleType: rule.ruleType,
                kind: 'technical',
                priority: rule.priority ?? 'medium',
                onsetMs: start,
                endMs: e.atMs,
                delayMs,
                source: `offline (no message for ${delayMs / 1000} s)`,
              })
            }
            start = undefined
          }
        }
      }
    }
  }
  return out
}

function news2Truth(
  deviceId: string,
  ruleId: string,
  events: readonly GroundTruthEvent[],
  runEndMs: number,
): TruthCondition[] {
  const bands = events
    .filter((e) => e.scenario === 'sepsis' && typeof e.detail?.band === 'string')
    .map((e) => ({ atMs: e.atMs, rank: BAND_RANK[e.detail?.band as keyof typeof BAND_RANK] ?? 0 }))
  const out: TruthCondition[] = []
  for (const level of [1, 2, 3] as const) {
    let since: number | undefined
    const push = (endMs: number): void => {
      if (since === undefined || endMs <= since) return
      out.push({
        deviceId,
        ruleId,
        ruleType: 'news2',
        kind: 'score',
        priority: BAND_PRIORITY[level],
        onsetMs: since,
        endMs,
        delayMs: 0,
        source: `intended NEWS2 band ≥ ${['', 'single 3', 'medium', 'high'][level]}`,
      })
    }
    for (const b of bands) {
      if (b.rank >= level && since === undefined) since = b.atMs
      if (b.rank < level && since !== undefined) {
        push(b.atMs)
        since = undefined
      }
    }
    push(runEndMs)
  }
  return out.filter((c) => c.onsetMs <= runEndMs)
}
