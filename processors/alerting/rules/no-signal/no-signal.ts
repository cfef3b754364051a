import { z } from 'zod'
import { formatDuration, formatValue, metricLabel } from '../format.js'
import { isNoSignal, PLAUSIBLE_RANGES } from '../plausibility.js'
import type { RulePlugin, RuleStep } from '../rule.js'
import { durationSchema, metricSchema, prioritySchema } from '../schema-parts.js'

export const noSignalConfigSchema = z.strictObject({
  metric: metricSchema('whose unflagged readings are judged by plausibility (rules/plausibility.ts)'),
  delayMs: durationSchema(
    10_000,
    'Technical alarm delay: implausible unflagged readings must persist this long (Mindray: off/5/10/15 s, domain.md §2.2)',
  ),
  priority: prioritySchema('medium', 'the no-signal alarm'),
})
export type NoSignalConfig = z.output<typeof noSignalConfigSchema>

const stateSchema = z.strictObject({
  /** Event time since which every reading of the metric has been unflagged and implausible. */
  since: z.number().nullable(),
  active: z.boolean(),
})
type NoSignalState = z.output<typeof stateSchema>

/**
 * A technical "no signal" alarm for feeds without quality flags (issue #9 finding 6): a monitor
 * numerics export that writes SpO2 0 % or heart rate 0 /min when the signal drops out. The engine
 * already keeps such readings from every physiological and score rule (they are not valid
 * measurements); this rule makes the dropout itself visible, as probe-off is for flagged feeds.
 */
export const noSignalRule: RulePlugin<NoSignalConfig, NoSignalState> = {
  type: 'no-signal',
  summary:
    'Technical alarm when unflagged readings are physiologically impossible (SpO2 0 %, HR 0 /min): a dropout, not the patient.',
  configSchema: noSignalConfigSchema,
  create(config) {
    const { metric } = config
    const label = metricLabel(metric)
    const range = PLAUSIBLE_RANGES[metric]
    // The alert's limit is the lower plausible bound the reading fell below (0 when unbounded).
    const limit = range?.[0] ?? 0
    return {
      kind: 'technical',
      metric,
      sampleMetrics: [metric],
      stateSchema,
      initialState: () => ({ since: null, active: false }),
      onSample(state, s): RuleStep<NoSignalState> {
        if (s.metric !== metric) return { state }
        if (!isNoSignal(metric, s.value, s.quality)) {
          // Any other reading ends the condition: a plausible value, or a flagged one (probe off is
          // then the technical rule that speaks).
          if (!state.active)
            return state.since === null ? { state } : { state: { since: null, active: false } }
          return {
            state: { since: null, active: false },
            signal: {
              active: false,
              value: s.value,
              limit,
              tsMs: s.tsMs,
              metric,
              message: `${label} signal back (${formatValue(metric, s.value)}, ${s.quality})`,
            },
          }
        }
        const since = Math.min(state.since ?? s.tsMs, s.tsMs)
        const persistedMs = s.tsMs - since
        if (state.active || persistedMs < config.delayMs) return { state: { since, active: state.active } }
        const plausible = range ? ` (plausible ${range[0]}–${range[1]})` : ''
        return {
          state: { since, active: true },
          signal: {
            active: true,
            priority: config.priority,
            value: s.value,
            limit,
            tsMs: s.tsMs,
            metric,
            message: `${label}: no signal for ${formatDuration(persistedMs)}, unflagged ${formatValue(metric, s.value)}${plausible}`,
          },
        }
      },
    }
  },
}
