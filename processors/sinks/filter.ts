import { z } from 'zod'
import {
  ALERT_KINDS,
  ALERT_PRIORITIES,
  ALERT_TRANSITIONS,
  type AlertEvent,
} from '../../core/alerts/alert-event.js'

const known = <T extends readonly [string, ...string[]]>(values: T) =>
  values.filter((value) => value !== 'unspecified') as unknown as T

/**
 * Which transitions a sink takes. Every list given must match (they are ANDed); a list left out
 * matches everything. A filtered-out transition is committed past like a delivered one, so a
 * charge-nurse webhook that wants only `escalated` never retries or dead-letters the rest.
 */
export const sinkFilterSchema = z.strictObject({
  transitions: z
    .array(z.enum(known(ALERT_TRANSITIONS)))
    .min(1)
    .optional()
    .describe(
      'Only these transitions (raised, updated, escalated, deescalated, acknowledged, cleared, reset, silenced).',
    ),
  priorities: z
    .array(z.enum(known(ALERT_PRIORITIES)))
    .min(1)
    .optional()
    .describe('Only these priorities (low, medium, high).'),
  kinds: z
    .array(z.enum(known(ALERT_KINDS)))
    .min(1)
    .optional()
    .describe('Only these kinds (physiological, technical, score).'),
  ruleTypes: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'Only alarms of these rule types (threshold, missing-data, no-signal…; sink-watch for the sinks’ own alarms).',
    ),
})
export type SinkFilter = z.output<typeof sinkFilterSchema>

/** True when the sink takes the event; no filter takes everything. */
export function filterAccepts(filter: SinkFilter | undefined, event: AlertEvent): boolean {
  if (!filter) return true
  if (filter.transitions && !filter.transitions.includes(event.transition)) return false
  if (filter.priorities && !filter.priorities.includes(event.priority)) return false
  if (filter.kinds && !filter.kinds.includes(event.kind)) return false
  if (filter.ruleTypes && !filter.ruleTypes.includes(event.ruleType)) return false
  return true
}
