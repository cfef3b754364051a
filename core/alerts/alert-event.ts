// The only importer of the generated protobuf code for alerts (see core/telemetry/envelope.ts).
import { pulsewire } from '../../proto/gen/pulsewire.js'
import { err, ok, type Result } from '../result.js'
import { toSafeNumber } from '../telemetry/envelope.js'
import { METRICS, metricByWire, type MetricName } from '../telemetry/metric-registry.js'

const wire = pulsewire.alerts.v1

/** IEC 60601-1-8 vocabulary (domain.md §2). Index = wire enum value. */
export const ALERT_KINDS = ['unspecified', 'physiological', 'technical', 'score'] as const
export const ALERT_PRIORITIES = ['unspecified', 'low', 'medium', 'high'] as const
export const ALERT_TRANSITIONS = [
  'unspecified',
  'raised',
  'updated',
  'escalated',
  'deescalated',
  'acknowledged',
  'cleared',
  'reset',
  'silenced',
] as const
export type AlertKind = (typeof ALERT_KINDS)[number]
export type AlertPriority = (typeof ALERT_PRIORITIES)[number]
export type AlertTransition = (typeof ALERT_TRANSITIONS)[number]

export interface AlertEvent {
  /** Deterministic: device + rule + episode, so sinks can deduplicate redeliveries. */
  alertId: string
  deviceId: string
  subjectId: string
  ruleId: string
  ruleType: string
  kind: AlertKind
  priority: AlertPriority
  transition: AlertTransition
  metric: MetricName | undefined
  value: number
  limit: number
  eventTsMs: number
  emittedTsMs: number
  latching: boolean
  episode: number
  message: string
  actor: string
  late: boolean
  /** Operator transitions (acknowledged, silenced, reset): the command behind them, for the audit trail. */
  commandId?: string
  /** Operator transitions: why, as the operator said. */
  reason?: string
  /** Audio paused until then (alerting clock, ms since the epoch), while a pause holds. */
  silencedUntilMs?: number
  /** Escalations for want of an acknowledgement so far (absent: none). */
  escalation?: number
}

/** The alert id for one episode of one rule on one device (architecture.md §2). */
export const alertId = (deviceId: string, ruleId: string, episode: number): string =>
  `${deviceId}/${ruleId}/${episode}`

/** The parts of an alert id; device ids may contain '/', rule ids and episodes do not. */
export function parseAlertId(id: string): { deviceId: string; ruleId: string; episode: number } | undefined {
  const episodeAt = id.lastIndexOf('/')
  const ruleAt = id.lastIndexOf('/', episodeAt - 1)
  if (episodeAt < 0 || ruleAt <= 0) return undefined
  const episode = Number(id.slice(episodeAt + 1))
  const ruleId = id.slice(ruleAt + 1, episodeAt)
  if (!Number.isInteger(episode) || episode < 1 || ruleId === '') return undefined
  return { deviceId: id.slice(0, ruleAt), ruleId, episode }
}

export function encodeAlertEvent(event: AlertEvent): Uint8Array {
  return wire.AlertEvent.encode({
    ...event,
    kind: ALERT_KINDS.indexOf(event.kind),
    priority: ALERT_PRIORITIES.indexOf(event.priority),
    transition: ALERT_TRANSITIONS.indexOf(event.transition),
    metric: event.metric ? METRICS[event.metric].wire : 0,
  }).finish()
}

export function decodeAlertEvent(bytes: Uint8Array): Result<AlertEvent, string> {
  let m: pulsewire.alerts.v1.AlertEvent
  try {
    m = wire.AlertEvent.decode(bytes)
  } catch (cause) {
    return err(cause instanceof Error ? cause.message : String(cause))
  }
  const kind = ALERT_KINDS[m.kind]
  const priority = ALERT_PRIORITIES[m.priority]
  const transition = ALERT_TRANSITIONS[m.transition]
  const eventTsMs = toSafeNumber(m.eventTsMs)
  const emittedTsMs = toSafeNumber(m.emittedTsMs)
  if (!kind || !priority || !transition) return err(`unknown enum value in alert ${m.alertId}`)
  // int64 defaults may decode as Long objects: compare only after the conversion.
  const silencedUntilMs = toSafeNumber(m.silencedUntilMs)
  if (eventTsMs === undefined || emittedTsMs === undefined) return err('timestamp beyond 2^53')
  return ok({
    alertId: m.alertId,
    deviceId: m.deviceId,
    subjectId: m.subjectId,
    ruleId: m.ruleId,
    ruleType: m.ruleType,
    kind,
    priority,
    transition,
    metric: m.metric ? metricByWire(m.metric)?.name : undefined,
    value: m.value,
    limit: m.limit,
    eventTsMs,
    emittedTsMs,
    latching: m.latching,
    episode: m.episode,
    message: m.message,
    actor: m.actor,
    late: m.late,
    ...(m.commandId && { commandId: m.commandId }),
    ...(m.reason && { reason: m.reason }),
    ...(silencedUntilMs !== undefined && silencedUntilMs > 0 && { silencedUntilMs }),
    ...(m.escalation && { escalation: m.escalation }),
  })
}
