import { z } from 'zod'
import type { MetricName } from '../../../../core/telemetry/metric-registry.js'
import { formatDuration, formatValue, metricLabel } from '../format.js'
import type { RuleLogic, RulePlugin, RuleStep } from '../rule.js'
import { metricSchema, prioritySchema } from '../schema-parts.js'

export interface FlatlineDefaults {
  minSamples: number
  minDurationMs: number
  epsilon: number
}

const MIN = 60_000
/**
 * Per-metric defaults (domain.md §4 "Stuck / flatline sensor"): vital signs are never flat for
 * 5 min, but integer SpO2 legitimately sits at 98–100 % and body temperature at 0.1 °C moves
 * slowly, so those wait longer; environmental values 30 min; vibration RMS 10 identical samples.
 */
export const FLATLINE_DEFAULTS: Readonly<Partial<Record<MetricName, FlatlineDefaults>>> = {
  heart_rate: { minSamples: 10, minDurationMs: 5 * MIN, epsilon: 0 },
  pulse_rate: { minSamples: 10, minDurationMs: 5 * MIN, epsilon: 0 },
  respiration_rate: { minSamples: 10, minDurationMs: 5 * MIN, epsilon: 0 },
  spo2: { minSamples: 10, minDurationMs: 60 * MIN, epsilon: 0 },
  body_temperature: { minSamples: 10, minDurationMs: 60 * MIN, epsilon: 0 },
  nibp_systolic: { minSamples: 4, minDurationMs: 45 * MIN, epsilon: 0 },
  nibp_diastolic: { minSamples: 4, minDurationMs: 45 * MIN, epsilon: 0 },
  nibp_mean: { minSamples: 4, minDurationMs: 45 * MIN, epsilon: 0 },
  ambient_temperature: { minSamples: 10, minDurationMs: 30 * MIN, epsilon: 0 },
  relative_humidity: { minSamples: 10, minDurationMs: 30 * MIN, epsilon: 0 },
  barometric_pressure: { minSamples: 10, minDurationMs: 30 * MIN, epsilon: 0 },
  vibration_rms: { minSamples: 10, minDurationMs: 0, epsilon: 0 },
}
/** For metrics that are legitimately constant (pump rate, state, battery on mains): explicit config expected. */
const FALLBACK: FlatlineDefaults = { minSamples: 10, minDurationMs: 60 * MIN, epsilon: 0 }

export const flatlineConfigSchema = z.strictObject({
  metric: metricSchema('to watch'),
  minSamples: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe('At least this many valid samples in the flat run. Default: per metric (README).'),
  minDurationMs: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('And the flat run spans at least this much event time, ms. Default: per metric (README).'),
  epsilon: z
    .number()
    .min(0)
    .optional()
    .describe('Largest spread (max − min) still counted as flat; 0 = identical values. Default: per metric.'),
  priority: prioritySchema('low', 'the stuck-sensor alarm'),
})
export type FlatlineConfig = z.output<typeof flatlineConfigSchema>

export interface FlatlineState {
  /** Event time of the first sample of the current flat run. */
  runStartMs: number | null
  min: number
  max: number
  count: number
  active: boolean
}

export function createFlatlineLogic(config: FlatlineConfig): RuleLogic<FlatlineState> {
  const { metric } = config
  const defaults = FLATLINE_DEFAULTS[metric] ?? FALLBACK
  const minSamples = config.minSamples ?? defaults.minSamples
  const minDurationMs = config.minDurationMs ?? defaults.minDurationMs
  const epsilon = config.epsilon ?? defaults.epsilon
  const flatText = epsilon > 0 ? `within ${formatValue(metric, epsilon)}` : 'unchanged'

  return {
    kind: 'technical',
    metric,
    sampleMetrics: [metric],
    stateSchema: z.strictObject({
      runStartMs: z.number().nullable(),
      min: z.number(),
      max: z.number(),
      count: z.number().int().min(0),
      active: z.boolean(),
    }),
    initialState: () => ({ runStartMs: null, min: 0, max: 0, count: 0, active: false }),
    onSample(state, s): RuleStep<FlatlineState> {
      if (s.metric !== metric || !s.valid) return { state }
      const min = Math.min(state.min, s.value)
      const max = Math.max(state.max, s.value)
      if (state.runStartMs === null || max - min > epsilon || s.tsMs < state.runStartMs) {
        // The run breaks: a new one starts at this sample (a stuck sensor never changes, so no sliding window is needed).
        const fresh = { runStartMs: s.tsMs, min: s.value, max: s.value, count: 1, active: false }
        if (!state.active) return { state: fresh }
        return {
          state: fresh,
          signal: {
            active: false,
            value: s.value,
            limit: epsilon,
            tsMs: s.tsMs,
            metric,
            message: `${metricLabel(metric)} changes again (${formatValue(metric, s.value)})`,
          },
        }
      }
      const run = { ...state, min, max, count: state.count + 1 }
      const spanMs = s.tsMs - state.runStartMs
      if (run.active || run.count < minSamples || spanMs < minDurationMs) return { state: run }
      return {
        state: { ...run, active: true },
        signal: {
          active: true,
          priority: config.priority,
          value: s.value,
          limit: epsilon,
          tsMs: s.tsMs,
          metric,
          message: `${metricLabel(metric)} ${flatText} at ${formatValue(metric, s.value)} over ${run.count} samples / ${formatDuration(spanMs)}: stuck sensor?`,
        },
      }
    },
  }
}

export const flatlineRule: RulePlugin<FlatlineConfig, FlatlineState> = {
  type: 'flatline',
  summary:
    'Stuck sensor: a value unchanged (spread ≤ epsilon) over N samples and T ms while data keeps arriving.',
  configSchema: flatlineConfigSchema,
  create: (config) => createFlatlineLogic(config),
}
