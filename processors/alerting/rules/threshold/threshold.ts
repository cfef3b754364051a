import { z } from 'zod'
import type { MetricName } from '../../../../core/telemetry/metric-registry.js'
import { formatDuration, formatValue, metricLabel } from '../format.js'
import type { RuleLogic, RulePlugin, RuleSignal, RuleStep, SampleInput } from '../rule.js'
import {
  checkInRange,
  durationSchema,
  kindSchema,
  metricSchema,
  prioritySchema,
  priorityRank,
  type RefinementContext,
} from '../schema-parts.js'

const levelSchema = z.strictObject({
  limit: z
    .number()
    .describe('Alarm limit: violated while the value is strictly beyond it (below: value < limit).'),
  priority: prioritySchema('medium', 'this level'),
  delayMs: durationSchema(
    0,
    'Alarm condition delay: the limit must stay violated this long before the level is raised (persistence, domain.md §2.3)',
  ),
  latching: z
    .boolean()
    .default(false)
    .describe(
      'Latching: once reached, the episode ends only by an operator reset (or acknowledgement) after the condition ended.',
    ),
})

export const thresholdConfigSchema = z
  .strictObject({
    metric: metricSchema('to watch'),
    direction: z
      .enum(['above', 'below'])
      .describe('above: alarm when the value exceeds the limits; below: when it falls under them.'),
    kind: kindSchema,
    levels: z
      .array(levelSchema)
      .min(1)
      .max(3)
      .describe(
        'Limits from least to most severe; crossing a further one escalates the open alarm (e.g. SpO2 < 90 medium, < 85 high).',
      ),
    clearLimit: z
      .number()
      .optional()
      .describe(
        'Hysteresis: the condition ends once the value is back at or past this limit (below: value ≥ clearLimit). Default: the first limit (no deadband). The same deadband applies when leaving a higher level.',
      ),
    clearDelayMs: durationSchema(
      0,
      'Off-delay: the value must stay on the clear side this long before the condition ends',
    ),
  })
  .superRefine((config, ctx) => checkThreshold(config, ctx))
export type ThresholdConfig = z.output<typeof thresholdConfigSchema>

function checkThreshold(config: ThresholdConfig, ctx: RefinementContext): void {
  const below = config.direction === 'below'
  config.levels.forEach((level, i) => {
    checkInRange(ctx, config.metric, level.limit, ['levels', i, 'limit'])
    if (config.kind === 'technical' && level.latching) {
      ctx.addIssue({
        code: 'custom',
        path: ['levels', i, 'latching'],
        message: 'technical alarms are non-latching (domain.md §2.2)',
      })
    }
    const previous = config.levels[i - 1]
    if (!previous) return
    if (below ? level.limit >= previous.limit : level.limit <= previous.limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['levels', i, 'limit'],
        message: `must be ${below ? 'below' : 'above'} ${previous.limit}: levels go from least to most severe`,
      })
    }
    if (priorityRank(level.priority) <= priorityRank(previous.priority)) {
      ctx.addIssue({
        code: 'custom',
        path: ['levels', i, 'priority'],
        message: `must be higher than ${previous.priority}: a further limit escalates`,
      })
    }
  })
  const first = config.levels[0]
  if (config.clearLimit === undefined || !first) return
  checkInRange(ctx, config.metric, config.clearLimit, ['clearLimit'])
  if (below ? config.clearLimit < first.limit : config.clearLimit > first.limit) {
    ctx.addIssue({
      code: 'custom',
      path: ['clearLimit'],
      message: `${config.clearLimit} is on the alarm side of the limit ${first.limit}: for "${config.direction}" it must be ${below ? '≥' : '≤'} ${first.limit}`,
    })
  }
}

export interface ThresholdState {
  /** Index of the active level, -1 when the condition is not active. */
  level: number
  /** Per level: event time since which the limit has been violated without interruption. */
  onsets: (number | null)[]
  /** Event time since which the value has been on the clear side (off-delay). */
  clearSince: number | null
}

export function createThresholdLogic(config: ThresholdConfig): RuleLogic<ThresholdState> {
  const { metric, levels } = config
  const below = config.direction === 'below'
  const first = levels[0] as ThresholdConfig['levels'][number]
  const clearLimit = config.clearLimit ?? first.limit
  const deadband = Math.abs(clearLimit - first.limit)
  const violates = (value: number, limit: number): boolean => (below ? value < limit : value > limit)
  const releaseLimit = (i: number): number =>
    i === 0 ? clearLimit : (levels[i]?.limit ?? 0) + (below ? deadband : -deadband)
  const released = (value: number, i: number): boolean =>
    below ? value >= releaseLimit(i) : value <= releaseLimit(i)
  const op = below ? '<' : '>'

  const raise = (i: number, s: SampleInput): RuleSignal => {
    const level = levels[i] as ThresholdConfig['levels'][number]
    const delay = level.delayMs > 0 ? ` for ${formatDuration(level.delayMs)}` : ''
    return {
      active: true,
      priority: level.priority,
      value: s.value,
      limit: level.limit,
      tsMs: s.tsMs,
      latching: level.latching,
      metric,
      message: `${metricLabel(metric)} ${formatValue(metric, s.value)} ${op} ${formatValue(metric, level.limit)}${delay}`,
    }
  }
  const clear = (s: SampleInput): RuleSignal => ({
    active: false,
    value: s.value,
    limit: clearLimit,
    tsMs: s.tsMs,
    metric,
    message: `${metricLabel(metric)} ${formatValue(metric, s.value)} back ${below ? '≥' : '≤'} ${formatValue(metric, clearLimit)}`,
  })

  return {
    kind: config.kind,
    metric,
    sampleMetrics: [metric],
    stateSchema: z.strictObject({
      level: z
        .number()
        .int()
        .min(-1)
        .max(levels.length - 1),
      onsets: z.array(z.number().nullable()).length(levels.length),
      clearSince: z.number().nullable(),
    }),
    initialState: () => ({ level: -1, onsets: levels.map(() => null), clearSince: null }),
    onSample(state, s): RuleStep<ThresholdState> {
      if (s.metric !== metric) return { state }
      // An invalid reading says nothing about the patient: it breaks a pending onset or off-delay and
      // changes no level, so artefact can neither raise nor sustain nor clear (domain.md §2.4 item 1).
      if (!s.valid) return { state: { ...state, onsets: levels.map(() => null), clearSince: null } }
      const ts = s.tsMs
      const onsets = levels.map((level, i) => {
        if (!violates(s.value, level.limit)) return null
        const onset = state.onsets[i] ?? ts
        return Math.min(onset, ts)
      })
      let eligible = -1
      onsets.forEach((onset, i) => {
        if (onset !== null && ts - onset >= (levels[i]?.delayMs ?? 0)) eligible = i
      })
      if (eligible > state.level) {
        return { state: { level: eligible, onsets, clearSince: null }, signal: raise(eligible, s) }
      }
      if (state.level < 0) return { state: { ...state, onsets } }
      if (released(s.value, 0)) {
        const since = Math.min(state.clearSince ?? ts, ts)
        if (ts - since >= config.clearDelayMs) {
          return { state: { level: -1, onsets, clearSince: null }, signal: clear(s) }
        }
        return { state: { ...state, onsets, clearSince: since } }
      }
      let target = state.level
      while (target > 0 && released(s.value, target)) target--
      const next = { level: target, onsets, clearSince: null }
      return target < state.level ? { state: next, signal: raise(target, s) } : { state: next }
    },
  }
}

export const thresholdRule: RulePlugin<ThresholdConfig, ThresholdState> = {
  type: 'threshold',
  summary: 'Value above/below a limit with condition delay, hysteresis, latching and escalation levels.',
  configSchema: thresholdConfigSchema,
  create: (config) => createThresholdLogic(config),
  bounds(config) {
    const first = config.levels[0]
    if (!first) return []
    const metric: MetricName = config.metric
    return [
      {
        metric,
        side: config.direction === 'below' ? 'low' : 'high',
        limit: first.limit,
        path: ['levels', 0, 'limit'],
      },
    ]
  },
}
