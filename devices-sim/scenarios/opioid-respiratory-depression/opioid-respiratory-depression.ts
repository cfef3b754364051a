import { z } from 'zod'
import { linearProgress } from '../../signals/trend.js'
import type { GroundTruthEvent, Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import {
  activeEpisode,
  eventFactory,
  eventsBetween,
  planEpisodes,
  rangeSchema,
  startAfterSchema,
  uniform,
} from '../timeline.js'

export const opioidConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: z
    .number()
    .int()
    .positive()
    .default(2 * 3_600_000)
    .describe('Onset to the lowest respiration rate, ms; values then hold.'),
  respirationRate: z
    .tuple([z.number(), z.number()])
    .default([14, 6])
    .describe('RR /min [from, to] (domain.md §7 item 3); applied as an offset to the baseline.'),
  spo2: z
    .tuple([z.number(), z.number()])
    .default([96, 85])
    .describe('SpO2 % [from, to] on room air (§7 item 3).'),
  spo2LagMs: rangeSchema(
    0,
    1_800_000,
    [120_000, 300_000],
    'SpO2 lags RR by a time drawn from [min, max], ms (§7: 2–5 min).',
  ),
  heartRateFall: z.number().min(0).default(5).describe('HR falls slightly, /min at the nadir (§1.4).'),
  apneaBelowRate: z
    .number()
    .default(8)
    .describe('Apnoeic pauses begin once the intended RR is at or below this, /min (NEWS2 RR ≤ 8 scores 3).'),
  apneaDurationMs: rangeSchema(
    1000,
    120_000,
    [15_000, 30_000],
    'Apnoeic pause length, ms [min, max] (§7: 15–30 s).',
  ),
  apneaIntervalMs: rangeSchema(
    10_000,
    3_600_000,
    [60_000, 300_000],
    'Pause start to next pause start, ms [min, max].',
  ),
  holdMs: z
    .number()
    .int()
    .min(0)
    .default(1_800_000)
    .describe('Pauses continue this long after the nadir, ms; the depressed values hold beyond it.'),
})
export type OpioidConfig = z.output<typeof opioidConfigSchema>

const NAME = 'opioid-respiratory-depression'

/**
 * Opioid-induced respiratory depression (domain.md §1.4, §7 item 3): RR falls linearly, apnoeic
 * pauses (RR override 0) appear once it is low, and SpO2 follows the same course minutes later.
 */
export function createOpioidRespiratoryDepression(context: ScenarioContext<OpioidConfig>): ScenarioInstance {
  const { config, rng } = context
  const onsetMs = context.startMs + config.startAfterMs
  const nadirMs = onsetMs + config.durationMs
  const lagMs = Math.round(uniform(rng, config.spo2LagMs))
  const [rrFrom, rrTo] = config.respirationRate
  const [spo2From, spo2To] = config.spo2
  // When the linear RR course reaches the apnoea threshold (never, if it stays above it).
  const reach =
    rrFrom === rrTo
      ? rrTo <= config.apneaBelowRate
        ? 0
        : 2
      : (rrFrom - config.apneaBelowRate) / (rrFrom - rrTo)
  const depressedMs = reach <= 1 ? onsetMs + Math.max(0, reach) * config.durationMs : undefined
  const pauses =
    depressedMs === undefined
      ? []
      : planEpisodes(
          rng,
          { fromMs: depressedMs, untilMs: nadirMs + config.holdMs, intervalMs: config.apneaIntervalMs },
          (startMs) => ({
            startMs,
            endMs: startMs + Math.round(uniform(rng, config.apneaDurationMs)),
          }),
        )

  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = [
    event(onsetMs, 'opioid-start', { respirationRate: rrFrom, spo2: spo2From }),
    ...(depressedMs === undefined
      ? []
      : [event(depressedMs, 'respiratory-depression', { respirationRate: config.apneaBelowRate })]),
    ...pauses.flatMap((p) => [
      event(p.startMs, 'apnea-start', { durationMs: p.endMs - p.startMs }),
      event(p.endMs, 'apnea-end', { durationMs: p.endMs - p.startMs }),
    ]),
    event(nadirMs, 'opioid-nadir', { respirationRate: rrTo }),
    event(nadirMs + lagMs, 'spo2-nadir', { spo2: spo2To, lagMs }),
  ].sort((a, b) => a.atMs - b.atMs)

  return {
    signal(nowMs) {
      if (nowMs < onsetMs) return {}
      const p = linearProgress(nowMs, onsetMs, config.durationMs)
      const pSpo2 = linearProgress(nowMs, onsetMs + lagMs, config.durationMs)
      return {
        offsets: {
          respiration_rate: (rrTo - rrFrom) * p,
          spo2: (spo2To - spo2From) * pSpo2,
          heart_rate: -config.heartRateFall * p,
        },
        ...(activeEpisode(pauses, nowMs) ? { overrides: { respiration_rate: 0 } } : {}),
      }
    },
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const opioidRespiratoryDepressionScenario: Scenario<OpioidConfig> = {
  type: NAME,
  summary: 'Opioid respiratory depression: RR 14 → 6 with apnoeic pauses, SpO2 96 → 85 % lagging minutes.',
  appliesTo: ['bedside-monitor', 'wearable'],
  configSchema: opioidConfigSchema,
  create: createOpioidRespiratoryDepression,
}
