import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { decodeAlertEvent, type AlertEvent } from '../core/alerts/alert-event.js'
import type { KafkaConfig } from '../core/config/shared.js'
import { createKafkaConsumer } from '../core/kafka/consumer.js'
import type { Component } from '../core/lifecycle.js'
import { CHANNELS } from '../core/telemetry/topics.js'

const COLOURS: Record<AlertEvent['priority'], string> = {
  high: '\x1b[1;31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  unspecified: '',
}

/** One readable line per alert transition, coloured by IEC 60601-1-8 priority when on a terminal. */
export function formatAlertLine(event: AlertEvent, colour: boolean): string {
  const time = new Date(event.eventTsMs).toISOString().slice(11, 19)
  const tag = `${event.priority.toUpperCase().padEnd(6)} ${event.transition.padEnd(12)}`
  const late = event.late ? ' (late)' : ''
  const line = `${time}  ${tag} ${event.deviceId.padEnd(18)} ${event.ruleId.padEnd(20)} ${event.message}${late}`
  return colour && COLOURS[event.priority] ? `${COLOURS[event.priority]}${line}\x1b[0m` : line
}

/**
 * What `pulsewire up` shows of the alert stream: a throw-away consumer group reading new
 * transitions only. The alert sinks of issue #6 (console, webhook, MQTT) replace it.
 */
export function createLiveAlerts(
  kafka: KafkaConfig,
  logger: Logger,
  write: (line: string) => void,
): Component {
  const groupId = `pulsewire-up-console-${randomBytes(3).toString('hex')}`
  const colour = process.stdout.isTTY === true
  const consumer = createKafkaConsumer({
    kafka,
    groupId,
    clientId: groupId,
    topics: [CHANNELS.alertEvents],
    fromBeginning: false,
    logger,
    handler: (records) => {
      for (const record of records) {
        const decoded = decodeAlertEvent(record.value)
        if (decoded.ok) write(formatAlertLine(decoded.value, colour))
      }
      return Promise.resolve()
    },
  })
  return { name: 'live-alerts', start: () => consumer.start(), stop: () => consumer.stop() }
}
