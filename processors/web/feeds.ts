import type { Logger } from 'pino'
import { decodeAlertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaConfig } from '../../core/config/shared.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { createKafkaConsumer, type KafkaConsumer } from '../../core/kafka/consumer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { sampleTime, decodeTelemetry, MEASURED_QUALITIES } from '../../core/telemetry/envelope.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { isHeartbeat } from '../../core/telemetry/heartbeat.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import type { Component } from '../../core/lifecycle.js'
import type { Reading } from './ward.js'

// librdkafka's logical offsets: the partition's first and next-to-be-written record.
const OFFSET_BEGINNING = -2
const OFFSET_END = -1

const partitionsOf = (topic: string, offset: number) => {
  const spec = CHANNEL_SPECS.find((c) => c.name === topic)
  return Array.from({ length: spec?.partitions ?? 1 }, (_, partition) => ({ topic, partition, offset }))
}

export interface FeedOptions {
  kafka: KafkaConfig
  groupPrefix: string
  logger: Logger
  onAlert: (event: AlertEvent) => void
  onReading: (reading: Reading) => void
  onBadRecord: (channel: string) => void
  onFatal: (err: unknown) => void
}

/**
 * The console's two readers. Alerts: every partition of alerts.events.v1 from its beginning at
 * each start (the channel is small: alert transitions, not telemetry), so the active alarms are
 * rebuilt; the ward ignores events older than alarms.lookbackMs. Telemetry: a tap from the end of
 * the vitals and environment channels (latest readings only, no history replay). Both are
 * assigned, not subscribed: every console instance sees every partition.
 */
export function createFeeds(options: FeedOptions): Component & { consumers: () => KafkaConsumer[] } {
  const log = options.logger
  let consumers: KafkaConsumer[] = []
  const alertHandler = (records: KafkaRecord[]): Promise<void> => {
    for (const record of records) {
      const decoded = decodeAlertEvent(record.value)
      if (decoded.ok) options.onAlert(decoded.value)
      else options.onBadRecord(CHANNELS.alertEvents)
    }
    return Promise.resolve()
  }
  const tapHandler = (records: KafkaRecord[]): Promise<void> => {
    for (const record of records) {
      if (isHeartbeat(record)) continue
      const decoded = decodeTelemetry(record.value)
      if (!decoded.ok) {
        options.onBadRecord(record.topic)
        continue
      }
      const env = decoded.value
      const header = (name: string) => record.headers[name]?.toString() ?? ''
      const rx = Number(header(HEADERS.gatewayRxTs))
      options.onReading({
        deviceId: env.deviceId,
        deviceType: env.deviceType,
        site: header(HEADERS.site),
        subject: header(HEADERS.subject),
        rxMs: Number.isFinite(rx) && rx > 0 ? rx : (record.timestamp ?? Date.now()),
        samples: env.samples
          .filter((s) => MEASURED_QUALITIES.has(s.quality) && !s.valueAbsent)
          .map((s) => ({ metric: s.metric, value: s.value, tsMs: sampleTime(env, s), ucum: s.ucum })),
      })
    }
    return Promise.resolve()
  }
  return {
    name: 'web-feeds',
    consumers: () => consumers,
    async start() {
      const admin = createKafkaAdmin(options.kafka, `${options.kafka.clientId}-web-admin`)
      try {
        const names = [CHANNELS.alertEvents, CHANNELS.vitals, CHANNELS.environment] as string[]
        await admin.ensureTopics(
          channelTopicSpecs(
            CHANNEL_SPECS.filter((c) => names.includes(c.name)),
            options.kafka.topics,
          ),
        )
      } finally {
        admin.close()
      }
      const common = { kafka: options.kafka, logger: log, onFatal: options.onFatal, fetchWaitMs: 50 }
      consumers = [
        createKafkaConsumer({
          ...common,
          groupId: `${options.groupPrefix}-alerts`,
          clientId: `${options.kafka.clientId}-web-alerts`,
          topics: [CHANNELS.alertEvents],
          assign: partitionsOf(CHANNELS.alertEvents, OFFSET_BEGINNING),
          handler: alertHandler,
        }),
        createKafkaConsumer({
          ...common,
          groupId: `${options.groupPrefix}-tap`,
          clientId: `${options.kafka.clientId}-web-tap`,
          topics: [CHANNELS.vitals, CHANNELS.environment],
          assign: [
            ...partitionsOf(CHANNELS.vitals, OFFSET_END),
            ...partitionsOf(CHANNELS.environment, OFFSET_END),
          ],
          maxBatchSize: 2_000,
          handler: tapHandler,
        }),
      ]
      for (const consumer of consumers) await consumer.start()
      log.info({ group: options.groupPrefix }, 'alert feed and telemetry tap started')
    },
    async stop() {
      for (const consumer of consumers.reverse()) await consumer.stop()
      consumers = []
    },
  }
}
