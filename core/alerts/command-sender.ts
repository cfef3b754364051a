import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { KafkaConfig } from '../config/shared.js'
import { createKafkaAdmin } from '../kafka/admin.js'
import { createKafkaProducer, type KafkaProducer } from '../kafka/producer.js'
import type { DeliveryReport } from '../kafka/records.js'
import { channelTopicSpecs } from '../kafka/topic-specs.js'
import { CHANNEL_SPECS, CHANNELS } from '../telemetry/topics.js'
import {
  alertCommandRecord,
  alertCommandSchema,
  type AlertCommand,
  type AlertCommandKind,
  type AlertCommandSource,
} from './alert-command.js'

/** What an operator asks for; the sender adds the command id and validates it. */
export interface CommandRequest {
  command: AlertCommandKind
  alertId: string
  by: string
  reason?: string | undefined
  durationMs?: number | undefined
  atMs: number
  source: AlertCommandSource
}

/** Builds a validated AlertCommand (throws a ZodError on a bad request). */
export function buildAlertCommand(request: CommandRequest): AlertCommand {
  return alertCommandSchema.parse({
    v: 1,
    commandId: randomUUID(),
    command: request.command,
    alertId: request.alertId,
    by: request.by,
    atMs: request.atMs,
    reason: request.reason ?? '',
    ...(request.durationMs !== undefined && { durationMs: request.durationMs }),
    source: request.source,
  })
}

/**
 * Produces operator commands to alerts.commands.v1: shared by `pulsewire alarm` (one command,
 * then stop) and the web console (one producer for the life of the process).
 */
export interface AlertCommandSender {
  start(): Promise<void>
  send(command: AlertCommand): Promise<DeliveryReport>
  stop(): Promise<void>
}

export function createAlertCommandSender(
  kafka: KafkaConfig,
  clientId: string,
  logger: Logger,
): AlertCommandSender {
  let producer: KafkaProducer | undefined
  return {
    async start() {
      // The first command on a fresh stack may come before alerting or the gateway created the channel.
      const admin = createKafkaAdmin(kafka, `${clientId}-admin`)
      try {
        const spec = CHANNEL_SPECS.filter((c) => c.name === CHANNELS.alertCommands)
        await admin.ensureTopics(channelTopicSpecs(spec, kafka.topics))
      } finally {
        admin.close()
      }
      producer = createKafkaProducer({ kafka: { ...kafka, clientId }, clientId, logger })
      await producer.start()
    },
    send(command) {
      if (!producer) throw new TypeError('alert command sender not started')
      return producer.produce(alertCommandRecord(command))
    },
    async stop() {
      await producer?.stop()
      producer = undefined
    },
  }
}
