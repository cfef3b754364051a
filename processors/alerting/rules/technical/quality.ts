import { z } from 'zod'
import { QUALITIES } from '../../../../core/telemetry/envelope.js'
import { formatDuration, metricLabel } from '../format.js'
import type { RuleLogic, RuleStep } from '../rule.js'
import { durationSchema, metricSchema, prioritySchema } from '../schema-parts.js'

export const qualityConditionSchema = z.strictObject({
  condition: z
    .literal('quality')
    .describe('Sensor condition from sample quality (probe off, low perfusion…).'),
  metric: metricSchema('whose sample quality is watched'),
  qualities: z
    .array(z.enum(QUALITIES))
    .min(1)
    .default(['probe_off'])
    .describe('Sample qualities that are the technical condition (e.g. probe_off, low_perfusion).'),
  delayMs: durationSchema(
    10_000,
    'Technical alarm delay: the quality must persist this long (Mindray: off/5/10/15 s, domain.md §2.2)',
  ),
  priority: prioritySchema('low', 'the technical alarm'),
})
export type QualityCondition = z.output<typeof qualityConditionSchema>

export interface QualityState {
  /** Event time since which every sample of the metric had one of the qualities. */
  since: number | null
  active: boolean
}

export function createQualityLogic(config: QualityCondition): RuleLogic<QualityState> {
  const { metric } = config
  const watched = new Set<string>(config.qualities)
  return {
    kind: 'technical',
    metric,
    sampleMetrics: [metric],
    stateSchema: z.strictObject({ since: z.number().nullable(), active: z.boolean() }),
    initialState: () => ({ since: null, active: false }),
    onSample(state, s): RuleStep<QualityState> {
      if (s.metric !== metric) return { state }
      if (!watched.has(s.quality)) {
        if (!state.active) return { state: { since: null, active: false } }
        return {
          state: { since: null, active: false },
          signal: {
            active: false,
            value: 0,
            limit: config.delayMs / 1000,
            tsMs: s.tsMs,
            metric,
            message: `${metricLabel(metric)} sensor signal back (${s.quality})`,
          },
        }
      }
      const since = Math.min(state.since ?? s.tsMs, s.tsMs)
      const persistedMs = s.tsMs - since
      if (state.active || persistedMs < config.delayMs) return { state: { since, active: state.active } }
      return {
        state: { since, active: true },
        signal: {
          active: true,
          priority: config.priority,
          value: persistedMs / 1000,
          limit: config.delayMs / 1000,
          tsMs: s.tsMs,
          metric,
          message: `${metricLabel(metric)} sensor: ${s.quality.replace('_', ' ')} for ${formatDuration(persistedMs)}`,
        },
      }
    },
  }
}
