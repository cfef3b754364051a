import { z } from 'zod'
import { formatDuration, formatNumber, metricLabel, unitLabel } from '../format.js'
import type { RuleLogic, RulePlugin, RuleSignal, RuleStep, SampleInput } from '../rule.js'
import { kindSchema, metricSchema, prioritySchema } from '../schema-parts.js'

export const rateOfChangeConfigSchema = z
  .strictObject({
    metric: metricSchema('to watch'),
    direction: z
      .enum(['rising', 'falling'])
      .describe('rising: alarm on an increase of `change` within the window; falling: on a decrease.'),
    change: z
      .number()
      .positive()
      .describe('Change in the metric unit within `windowMs` that raises the alarm (e.g. HR +30 /min).'),
    windowMs: z
      .number()
      .int()
      .positive()
      .describe('Window of event time over which the change is measured (e.g. 600000 = 10 min).'),
    clearChange: z
      .number()
      .positive()
      .optional()
      .describe(
        'Hysteresis: the alarm clears once the change within the window is below this. Default: change.',
      ),
    smoothSamples: z
      .number()
      .int()
      .min(1)
      .max(9)
      .default(3)
      .describe(
        'Median over this many latest valid samples before differencing (domain.md §4: median of 3).',
      ),
    priority: prioritySchema('medium', 'the alarm'),
    kind: kindSchema,
  })
  .superRefine((config, ctx) => {
    if (config.clearChange !== undefined && config.clearChange > config.change) {
      ctx.addIssue({
        code: 'custom',
        path: ['clearChange'],
        message: `${config.clearChange} is beyond the alarm change ${config.change}: it must be ≤ change`,
      })
    }
  })
export type RateOfChangeConfig = z.output<typeof rateOfChangeConfigSchema>

/** The window is kept as this many buckets of min/max, so the state stays small at 1 Hz. */
const BUCKETS = 30

export interface RateOfChangeState {
  /** Latest valid raw values (for the median). */
  recent: number[]
  /** [bucket start, min, max] of smoothed values, oldest first. */
  buckets: [number, number, number][]
  latestMs: number | null
  active: boolean
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  // The lower median: always a value that was actually measured.
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN
}

export function createRateOfChangeLogic(config: RateOfChangeConfig): RuleLogic<RateOfChangeState> {
  const { metric, windowMs, change } = config
  const rising = config.direction === 'rising'
  const clearChange = config.clearChange ?? change
  const bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS))
  const unit = unitLabel(metric)
  const describe = (diff: number): string =>
    `${metricLabel(metric)} ${rising ? '+' : '−'}${formatNumber(metric, diff)} ${unit} in ${formatDuration(windowMs)}`

  const signal = (active: boolean, diff: number, s: SampleInput): RuleSignal =>
    active
      ? {
          active,
          priority: config.priority,
          value: diff,
          limit: change,
          tsMs: s.tsMs,
          metric,
          message: `${describe(diff)} (limit ${rising ? '+' : '−'}${formatNumber(metric, change)} ${unit})`,
        }
      : { active, value: diff, limit: clearChange, tsMs: s.tsMs, metric, message: describe(diff) }

  return {
    kind: config.kind,
    metric,
    sampleMetrics: [metric],
    stateSchema: z.strictObject({
      recent: z.array(z.number()).max(config.smoothSamples),
      buckets: z.array(z.tuple([z.number(), z.number(), z.number()])),
      latestMs: z.number().nullable(),
      active: z.boolean(),
    }),
    initialState: () => ({ recent: [], buckets: [], latestMs: null, active: false }),
    onSample(state, s): RuleStep<RateOfChangeState> {
      if (s.metric !== metric || !s.valid) return { state }
      const nowMs = Math.max(s.tsMs, state.latestMs ?? s.tsMs)
      // A late reading older than the whole window cannot change the rate seen now.
      if (s.tsMs <= nowMs - windowMs) return { state }
      const recent = [...state.recent, s.value].slice(-config.smoothSamples)
      const smoothed = median(recent)
      const start = Math.floor(s.tsMs / bucketMs) * bucketMs
      const buckets: [number, number, number][] = state.buckets
        .filter(([b]) => b + bucketMs > nowMs - windowMs)
        .map(([b, lo, hi]) =>
          b === start ? [b, Math.min(lo, smoothed), Math.max(hi, smoothed)] : [b, lo, hi],
        )
      if (!buckets.some(([b]) => b === start)) {
        buckets.push([start, smoothed, smoothed])
        buckets.sort((a, b) => a[0] - b[0])
      }
      const reference = rising ? Math.min(...buckets.map((b) => b[1])) : Math.max(...buckets.map((b) => b[2]))
      const diff = rising ? smoothed - reference : reference - smoothed
      const next: RateOfChangeState = { recent, buckets, latestMs: nowMs, active: state.active }
      if (!state.active && diff >= change) {
        return { state: { ...next, active: true }, signal: signal(true, diff, s) }
      }
      if (state.active && diff < clearChange) {
        return { state: { ...next, active: false }, signal: signal(false, diff, s) }
      }
      return { state: next }
    },
  }
}

export const rateOfChangeRule: RulePlugin<RateOfChangeConfig, RateOfChangeState> = {
  type: 'rate-of-change',
  summary: 'A rise or fall of a metric by a given amount within a window of event time.',
  configSchema: rateOfChangeConfigSchema,
  create: (config) => createRateOfChangeLogic(config),
}
