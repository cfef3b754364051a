import type { Logger } from 'pino'
import { alertCommandRecord, commandFromMqtt } from '../core/alerts/alert-command.js'
import type { Clock } from '../core/clock.js'
import type { KafkaProducer } from '../core/kafka/producer.js'
import type { GatewayMetrics } from './metrics.js'

/** The pre-acknowledgement path of an alert operator's command publish (commands/alerts). */
export interface AlertCommandIngest {
  /**
   * Validates the payload and produces the command to alerts.commands.v1 with the operator's
   * authenticated id as `by` and the receive time as `atMs`; resolves once Kafka has it (then the
   * PUBACK goes out). An invalid payload is counted, logged and acknowledged without a record, so
   * the app does not resend it forever; a failed produce rejects (no PUBACK, the app resends).
   */
  publish(operatorId: string, payload: Buffer): Promise<void>
}

export function createAlertCommandIngest(deps: {
  producer: KafkaProducer
  clock: Clock
  metrics: GatewayMetrics
  logger: Logger
  /** True while the gateway drains for a stop: new commands are refused (no PUBACK). */
  closing: () => boolean
}): AlertCommandIngest {
  const log = deps.logger.child({ component: 'gateway.alert-commands' })
  return {
    async publish(operatorId, payload) {
      if (deps.closing()) throw new Error('gateway shutting down')
      const command = commandFromMqtt(payload, operatorId, deps.clock.now())
      if (!command.ok) {
        deps.metrics.alertCommands.inc({ outcome: 'invalid' })
        // Operators are few and act by hand: one line per bad command is what their admin needs.
        log.warn({ operatorId, reason: command.error }, 'alert command invalid; dropped')
        return
      }
      try {
        await deps.producer.produce(alertCommandRecord(command.value))
      } catch (err) {
        deps.metrics.alertCommands.inc({ outcome: 'failed' })
        throw err
      }
      deps.metrics.alertCommands.inc({ outcome: 'forwarded' })
    },
  }
}
