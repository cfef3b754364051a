import type { AlertEvent } from '../../core/alerts/alert-event.js'

/** Version of the JSON shape below; a breaking change gets a new value, never a new meaning. */
export const ALERT_JSON_SCHEMA = 'pulsewire.alert.v1'

/**
 * An alert transition as JSON, for receivers outside Pulsewire (webhook body, JSONL line, MQTT
 * payload). Field names are stable; new fields may be added, none is renamed or removed.
 */
export interface AlertJson {
  schema: typeof ALERT_JSON_SCHEMA
  /** Same on every redelivery of this transition: what a receiver dedupes on. */
  idempotencyKey: string
  alertId: string
  deviceId: string
  subjectId: string
  ruleId: string
  ruleType: string
  kind: AlertEvent['kind']
  priority: AlertEvent['priority']
  transition: AlertEvent['transition']
  metric: string | null
  value: number
  limit: number
  eventTs: string
  eventTsMs: number
  emittedTs: string
  emittedTsMs: number
  latching: boolean
  episode: number
  message: string
  actor: string
  late: boolean
  /** Operator transitions (acknowledged, silenced, reset): the command, and why (audit trail). */
  commandId?: string
  reason?: string
  /** silenced: audio paused until then. */
  silencedUntilTs?: string
  silencedUntilMs?: number
  /** escalated for want of an acknowledgement (1); absent for a priority rise. */
  escalation?: number
}

/**
 * The dedupe key of a transition. One episode shares one alertId across its transitions
 * (raised, escalated, cleared…), so the transition and its event time are part of the key.
 */
export const dedupeKey = (event: AlertEvent): string =>
  `${event.alertId}/${event.transition}/${event.eventTsMs}`

const iso = (ms: number): string => {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? '' : date.toISOString()
}

export function toAlertJson(event: AlertEvent): AlertJson {
  return {
    schema: ALERT_JSON_SCHEMA,
    idempotencyKey: dedupeKey(event),
    alertId: event.alertId,
    deviceId: event.deviceId,
    subjectId: event.subjectId,
    ruleId: event.ruleId,
    ruleType: event.ruleType,
    kind: event.kind,
    priority: event.priority,
    transition: event.transition,
    metric: event.metric ?? null,
    value: event.value,
    limit: event.limit,
    eventTs: iso(event.eventTsMs),
    eventTsMs: event.eventTsMs,
    emittedTs: iso(event.emittedTsMs),
    emittedTsMs: event.emittedTsMs,
    latching: event.latching,
    episode: event.episode,
    message: event.message,
    actor: event.actor,
    late: event.late,
    ...(event.commandId && { commandId: event.commandId }),
    ...(event.reason && { reason: event.reason }),
    ...(event.silencedUntilMs !== undefined && {
      silencedUntilTs: iso(event.silencedUntilMs),
      silencedUntilMs: event.silencedUntilMs,
    }),
    ...(event.escalation !== undefined && { escalation: event.escalation }),
  }
}
