import { decodeAlertCommand } from '../../core/alerts/alert-command.js'
import { parseAlertId, type AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Logger } from '../../core/log.js'
import type { AlertEngine } from './engine/engine.js'
import type { AlertingMetrics } from './metrics.js'

/**
 * One record of alerts.commands.v1 → the transitions it causes. A bad record (not JSON, not a
 * command, keyed by another device than its alert's) is counted and dropped with its reason; a
 * command the alarm state does not allow is refused (counted, logged with the reason), never
 * turned into an event: sinks see only transitions that happened. Neither stops the pipeline.
 */
export function evaluateCommand(
  record: KafkaRecord,
  engine: AlertEngine,
  metrics: AlertingMetrics,
  log: Logger,
): AlertEvent[] {
  const where = { partition: record.partition, offset: record.offset }
  const decoded = decodeAlertCommand(record.value)
  const command = decoded.ok ? decoded.value : undefined
  const invalid = !decoded.ok
    ? decoded.error
    : parseAlertId(decoded.value.alertId)?.deviceId !== record.key
      ? 'the record key is not the device of its alert id'
      : undefined
  if (invalid !== undefined || !command) {
    metrics.commands.inc({ command: command?.command ?? 'unknown', outcome: 'invalid' })
    log.warn({ ...where, reason: invalid }, 'alert command invalid; dropped')
    return []
  }
  const result = engine.command(command)
  const audit = {
    commandId: command.commandId,
    command: command.command,
    alertId: command.alertId,
    by: command.by,
  }
  if (!result.ok) {
    metrics.commands.inc({ command: command.command, outcome: result.reason })
    // An operator acted and nothing happened: say why, where the operator's tooling can see it.
    log.info({ ...audit, reason: result.reason, detail: result.detail }, 'alert command refused')
    return []
  }
  metrics.commands.inc({ command: command.command, outcome: 'applied' })
  log.debug(audit, 'alert command applied')
  return result.events
}
