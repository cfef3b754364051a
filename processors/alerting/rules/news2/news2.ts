import { z } from 'zod'
import type { MetricName } from '../../../../core/telemetry/metric-registry.js'
import { median } from '../rate-of-change/rate-of-change.js'
import type { RuleLogic, RulePlugin, RuleStep, SampleInput } from '../rule.js'
import { durationSchema } from '../schema-parts.js'
import { describeScore, scoreInputs, type Inputs } from './describe.js'
import {
  BAND_LIMITS,
  CONSCIOUSNESS_LEVELS,
  NEWS2_PARAMETERS,
  news2Band,
  type News2Band,
  type News2Parameter,
} from './score.js'

export const news2ConfigSchema = z
  .strictObject({
    parameters: z
      .array(z.enum(NEWS2_PARAMETERS))
      .min(1)
      .default([...NEWS2_PARAMETERS])
      .describe(
        'Measured parameters scored. All five is NEWS2; a subset (a device without NIBP or temperature) is a partial score, a lower bound, and every message says so.',
      ),
    pulseMetric: z
      .enum(['heart_rate', 'pulse_rate'])
      .default('heart_rate')
      .describe('Metric scored as pulse: ECG heart rate or the oximeter pulse rate.'),
    spo2Scale: z
      .union([z.literal(1), z.literal(2)])
      .default(1)
      .describe(
        'SpO2 scale: 1 (default) or 2 for hypercapnic patients; a clinical decision, never inferred.',
      ),
    onOxygen: z
      .boolean()
      .default(false)
      .describe(
        'Assumed supplemental oxygen (a manual entry in NEWS2; devices do not measure it). Default: air.',
      ),
    consciousness: z
      .enum(CONSCIOUSNESS_LEVELS)
      .default('alert')
      .describe('Assumed ACVPU level (a manual entry; devices do not measure it). Default: alert.'),
    stalenessMs: z
      .strictObject({
        respiration: durationSchema(300_000, 'Respiration rate older than this is missing'),
        spo2: durationSchema(300_000, 'SpO2 older than this is missing'),
        systolic: durationSchema(3_600_000, 'NIBP systolic older than this is missing (1 h validity)'),
        pulse: durationSchema(300_000, 'Pulse older than this is missing'),
        temperature: durationSchema(14_400_000, 'Temperature older than this is missing'),
      })
      .prefault({})
      .describe('Per input: how long its latest valid reading counts (domain.md §1.5).'),
    settleMs: durationSchema(
      300_000,
      'A lower band must hold this long before the alert deescalates or clears, so a score at a band edge does not chatter; a higher band applies at once',
    ),
    medianWindowMs: z
      .number()
      .int()
      .positive()
      .default(300_000)
      .describe(
        'Continuous inputs (all but NIBP) are the median over this window, so one artefact cannot flip the score.',
      ),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>()
    config.parameters.forEach((p, i) => {
      if (seen.has(p)) ctx.addIssue({ code: 'custom', path: ['parameters', i], message: `${p} listed twice` })
      seen.add(p)
    })
  })
export type News2Config = z.output<typeof news2ConfigSchema>

type Series = [number, number][]
export interface News2State {
  series: Record<News2Parameter, Series>
  band: News2Band
  /** New readings since the last score. */
  pending: boolean
  /** Event time since which the score has been in a lower band than `band`. */
  lowerSince: number | null
}

/** At most this many readings per input are kept for the median (bounded snapshot size). */
const MEDIAN_POINTS = 30
const PRIORITY = { single: 'low', medium: 'medium', high: 'high' } as const
const BAND_ORDER: readonly News2Band[] = ['low', 'single', 'medium', 'high']

export function createNews2Logic(config: News2Config): RuleLogic<News2State> {
  const scored = new Set<News2Parameter>(config.parameters)
  const byMetric = new Map<MetricName, News2Parameter>([
    ['respiration_rate', 'respiration'],
    ['spo2', 'spo2'],
    ['nibp_systolic', 'systolic'],
    [config.pulseMetric, 'pulse'],
    ['body_temperature', 'temperature'],
  ])
  const spacingMs = Math.floor(config.medianWindowMs / MEDIAN_POINTS)
  const isMedian = (p: News2Parameter): boolean => p !== 'systolic'

  const record = (series: Series, p: News2Parameter, s: SampleInput): Series => {
    const last = series[series.length - 1]
    // Out-of-order readings are not merged back into the window: the score follows the newest data.
    if (last && s.tsMs < last[0]) return series
    if (!isMedian(p)) return [[s.tsMs, s.value]]
    const kept = series.filter(([t]) => t > s.tsMs - config.medianWindowMs)
    if (last && kept.length > 0 && s.tsMs - last[0] < spacingMs) return kept
    return [...kept, [s.tsMs, s.value]]
  }

  const current = (series: News2State['series'], nowMs: number): Inputs | undefined => {
    const inputs: Inputs = {}
    for (const p of config.parameters) {
      const fresh = series[p].filter(([t]) => t >= nowMs - config.stalenessMs[p])
      if (fresh.length === 0) return undefined
      inputs[p] = isMedian(p) ? median(fresh.map(([, v]) => v)) : (fresh[fresh.length - 1]?.[1] ?? 0)
    }
    return inputs
  }

  return {
    kind: 'score',
    metric: undefined,
    sampleMetrics: [...byMetric.entries()].filter(([, p]) => scored.has(p)).map(([m]) => m),
    stateSchema: z.strictObject({
      series: z.strictObject(
        Object.fromEntries(
          NEWS2_PARAMETERS.map((p) => [p, z.array(z.tuple([z.number(), z.number()]))]),
        ) as Record<News2Parameter, z.ZodArray<z.ZodTuple<[z.ZodNumber, z.ZodNumber], null>>>,
      ),
      band: z.enum(['low', 'single', 'medium', 'high']),
      pending: z.boolean(),
      lowerSince: z.number().nullable(),
    }),
    initialState: () => ({
      series: { respiration: [], spo2: [], systolic: [], pulse: [], temperature: [] },
      band: 'low',
      pending: false,
      lowerSince: null,
    }),
    onSample(state, s): RuleStep<News2State> {
      const p = byMetric.get(s.metric)
      if (p === undefined || !scored.has(p) || !s.valid) return { state }
      return {
        state: { ...state, series: { ...state.series, [p]: record(state.series[p], p, s) }, pending: true },
      }
    },
    // Scored once per message, after all its readings: one observation set, one band decision.
    onMessage(state): RuleStep<News2State> {
      if (!state.pending) return { state }
      const nowMs = Math.max(
        ...config.parameters.map((p) => state.series[p].at(-1)?.[0] ?? Number.NEGATIVE_INFINITY),
      )
      const inputs = current(state.series, nowMs)
      const next = { ...state, pending: false }
      // A missing input is never scored as 0 (§1.5): no score, and the current band holds.
      if (!inputs) return { state: next }
      const scores = scoreInputs(inputs, config)
      const band = news2Band(scores.aggregate, scores.anyThree)
      if (band === state.band) return { state: { ...next, lowerSince: null } }
      if (BAND_ORDER.indexOf(band) < BAND_ORDER.indexOf(state.band)) {
        const since = Math.min(state.lowerSince ?? nowMs, nowMs)
        if (nowMs - since < config.settleMs) return { state: { ...next, lowerSince: since } }
      }
      const message = describeScore(scores, band, config)
      const value = scores.aggregate
      const signal =
        band === 'low'
          ? { active: false as const, value, limit: BAND_LIMITS[state.band], tsMs: nowMs, message }
          : {
              active: true as const,
              priority: PRIORITY[band],
              value,
              limit: BAND_LIMITS[band],
              tsMs: nowMs,
              message,
            }
      return { state: { ...next, band, lowerSince: null }, signal }
    },
  }
}

export const news2Rule: RulePlugin<News2Config, News2State> = {
  type: 'news2',
  summary: 'National Early Warning Score 2 over the latest valid vitals; alerts on band changes.',
  configSchema: news2ConfigSchema,
  create: (config) => createNews2Logic(config),
}
