import { randomBytes } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { decodeAlertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { kafkaSchema } from '../../core/config/shared.js'
import { endOffsets } from '../../core/kafka/admin.js'
import { createKafkaConsumer, type KafkaConsumer } from '../../core/kafka/consumer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { decodeTelemetry } from '../../core/telemetry/envelope.js'
import { isHeartbeat } from '../../core/telemetry/heartbeat.js'
import { decodeLineRecord } from './line-protocol.js'
import type { FineClock } from './open-loop.js'

export interface Tap {
  start(): Promise<void>
  stop(): Promise<void>
  /** Records of this run's devices seen so far. */
  seen(): number
  undecodable(): number
}

interface TapOptions {
  brokers: string
  topics: readonly string[]
  /** deviceId → device number; records of other devices (shared channels) are skipped undecoded. */
  devices: ReadonlyMap<string, number>
  clock: FineClock
  logger?: Logger
}

/**
 * A consumer of the target's channels from their current end ("everything produced from now
 * on"), outside any group's rebalancing: what any consumer can read, and when.
 */
function createTap(
  options: TapOptions,
  onRecord: (device: number, record: KafkaRecord, arrivedMs: number) => boolean,
): Tap {
  let consumer: KafkaConsumer | undefined
  let seen = 0
  let undecodable = 0
  const logger = options.logger ?? pino({ level: 'silent' })
  const kafka = kafkaSchema.parse({ brokers: options.brokers, clientId: 'pulsewire-loadtest-tap' })
  return {
    async start() {
      const assign = (await Promise.all(options.topics.map((topic) => endOffsets(kafka, topic)))).flat()
      const groupId = `pulsewire-loadtest-tap-${randomBytes(4).toString('hex')}`
      consumer = createKafkaConsumer({
        kafka,
        groupId,
        clientId: groupId,
        topics: options.topics,
        assign,
        logger,
        fetchWaitMs: 5,
        maxBatchSize: 2_000,
        // A tap keeps no position: 'in-transaction' tells the adapter not to commit offsets
        // (nothing here commits them), so no throwaway group is left with offsets.
        offsetCommits: 'in-transaction',
        handler: (records) => {
          const arrived = options.clock.now()
          for (const record of records) {
            // A gateway heartbeat is a partition's time, never a reading (nor undecodable).
            if (isHeartbeat(record)) continue
            const device = record.key === undefined ? undefined : options.devices.get(record.key)
            if (device === undefined) continue
            if (onRecord(device, record, arrived)) seen++
            else undecodable++
          }
          return Promise.resolve()
        },
      })
      await consumer.start()
    },
    stop: async () => {
      await consumer?.stop()
    },
    seen: () => seen,
    undecodable: () => undecodable,
  }
}

/** How a target's telemetry records are encoded (LoadTargetEndpoints.kafka.format). */
export type TelemetryFormat = 'protobuf' | 'influx-line'

/**
 * Telemetry as it lands in Kafka: (device, seq) and the time a consumer could first read it.
 * 'protobuf': one record per message, our payload. 'influx-line': one record per point, each
 * carrying tag device_id and field seq; a message counts when its first point arrives, later
 * points of the same (device, seq) are the rest of that message, not copies (so a peer's
 * redelivered duplicates are not counted in this format).
 */
export function createTelemetryTap(
  options: TapOptions & { format?: TelemetryFormat },
  onTelemetry: (device: number, seq: number, arrivedMs: number) => void,
): Tap {
  if (options.format === 'influx-line') {
    const seen = new Map<number, Set<number>>()
    return createTap(options, (device, record, arrived) => {
      const points = decodeLineRecord(record.value)
      if (!points) return false
      for (const point of points) {
        if (point.deviceId !== record.key) return false
        let seqs = seen.get(device)
        if (!seqs) seen.set(device, (seqs = new Set()))
        if (seqs.has(point.seq)) continue
        seqs.add(point.seq)
        onTelemetry(device, point.seq, arrived)
      }
      return true
    })
  }
  return createTap(options, (device, record, arrived) => {
    const decoded = decodeTelemetry(record.value)
    if (!decoded.ok) return false
    onTelemetry(device, decoded.value.seq, arrived)
    return true
  })
}

/** Alert events of this run's devices, as an alert sink would receive them. */
export function createAlertTap(
  options: TapOptions,
  onAlert: (device: number, event: AlertEvent, arrivedMs: number) => void,
): Tap {
  return createTap(options, (device, record, arrived) => {
    const decoded = decodeAlertEvent(record.value)
    if (!decoded.ok) return false
    onAlert(device, decoded.value, arrived)
    return true
  })
}
