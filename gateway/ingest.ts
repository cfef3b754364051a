import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import type { KafkaProducer } from '../core/kafka/producer.js'
import type { OutgoingRecord } from '../core/kafka/records.js'
import type { DeviceDirectory } from './auth.js'
import {
  dlqRecord,
  lifecycleRecord,
  telemetryRecord,
  type DeviceContext,
  type LifecycleEvent,
} from './forward.js'
import type { GatewayMetrics } from './metrics.js'
import { dropMissingValues } from './missing-values.js'
import { validateTelemetry, type ValidationLimits } from './validate.js'

/**
 * The pre-acknowledgement path. Each call resolves only once its record is in Kafka (acks=all):
 * good telemetry on its channel, poison in the DLQ. The broker hook awaits it before aedes
 * writes the PUBACK, which is the delivery promise (architecture.md §2).
 */
export interface Ingest {
  telemetry(deviceId: string, topic: string, payload: Buffer): Promise<void>
  status(deviceId: string, payload: Buffer): Promise<void>
  lifecycle(deviceId: string, event: LifecycleEvent): Promise<void>
  inFlight(): number
  /** Resolves when every accepted publish has its delivery report. */
  drain(): Promise<void>
}

export interface IngestDeps {
  producer: KafkaProducer
  directory: DeviceDirectory
  limits: ValidationLimits
  dlq: { oversizedKeepBytes: number }
  clock: Clock
  metrics: GatewayMetrics
  logger: Logger
}

const OVERSIZED_LOG_EVERY_MS = 60_000

export function createIngest(deps: IngestDeps): Ingest {
  const { producer, directory, limits, clock, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.ingest' })
  const pending = new Set<Promise<void>>()
  const oversized = { count: 0, largest: 0, loggedAtMs: Number.NEGATIVE_INFINITY }

  /** One warning a minute at most, with what it stands for: a device may send these in a loop. */
  function noteTruncated(bytes: number): void {
    metrics.dlqTruncated.inc()
    oversized.count++
    oversized.largest = Math.max(oversized.largest, bytes)
    const now = clock.now()
    if (now - oversized.loggedAtMs < OVERSIZED_LOG_EVERY_MS) return
    log.warn(
      {
        payloads: oversized.count,
        largestBytes: oversized.largest,
        maxPayloadBytes: limits.maxPayloadBytes,
        keptBytes: deps.dlq.oversizedKeepBytes,
      },
      'oversized payloads acknowledged; their DLQ records keep only their first bytes',
    )
    oversized.count = 0
    oversized.largest = 0
    oversized.loggedAtMs = now
  }

  function context(deviceId: string): DeviceContext {
    return { deviceId, ...directory.lookup(deviceId) }
  }

  async function produce(record: OutgoingRecord, startedMs: number): Promise<void> {
    metrics.inFlight.inc()
    try {
      await producer.produce(record)
      metrics.produced.inc({ channel: record.topic, outcome: 'delivered' })
      metrics.produceDuration.observe((clock.now() - startedMs) / 1000)
    } catch (err) {
      metrics.produced.inc({ channel: record.topic, outcome: 'failed' })
      // No PUBACK: the device keeps the message and resends it on its next connection.
      log.warn({ err, channel: record.topic }, 'produce failed; publish left unacknowledged')
      throw err
    } finally {
      metrics.inFlight.dec()
    }
  }

  function track(work: Promise<void>): Promise<void> {
    pending.add(work)
    const settle = (): void => {
      pending.delete(work)
    }
    work.then(settle, settle)
    return work
  }

  return {
    telemetry(deviceId, topic, payload) {
      const rxMs = clock.now()
      metrics.received.inc({ stream: 'telemetry' })
      const device = context(deviceId)
      const result = validateTelemetry(deviceId, payload, rxMs, limits)
      if (!result.ok) {
        metrics.rejected.inc({ reason: result.error.reason })
        log.debug({ deviceId, reason: result.error.reason }, 'payload rejected to DLQ')
        const keep = deps.dlq.oversizedKeepBytes
        const letter = dlqRecord(device, topic, payload, result.error, rxMs, keep)
        if (letter.value.length < payload.length) noteTruncated(payload.length)
        return track(produce(letter, rxMs))
      }
      metrics.deviceClockSkew.observe((rxMs - result.value.deviceTsMs) / 1000)
      const missing = dropMissingValues(result.value, payload)
      if (missing) {
        // The original bytes to the DLQ, the rest forwarded; the PUBACK waits for both.
        metrics.samplesDropped.inc({ reason: missing.rejection.reason }, missing.dropped)
        metrics.rejected.inc({ reason: missing.rejection.reason })
        const keep = deps.dlq.oversizedKeepBytes
        const records = [dlqRecord(device, topic, payload, missing.rejection, rxMs, keep)]
        if (missing.forward)
          records.push(telemetryRecord(device, result.value.deviceType, missing.forward, rxMs))
        for (const r of records.slice(1)) metrics.accepted.inc({ channel: r.topic })
        return track(Promise.all(records.map((r) => produce(r, rxMs))).then(() => undefined))
      }
      const record = telemetryRecord(device, result.value.deviceType, payload, rxMs)
      metrics.accepted.inc({ channel: record.topic })
      return track(produce(record, rxMs))
    },
    status(deviceId, payload) {
      const rxMs = clock.now()
      metrics.received.inc({ stream: 'status' })
      return track(produce(lifecycleRecord(context(deviceId), 'status', payload, rxMs), rxMs))
    },
    lifecycle(deviceId, event) {
      const rxMs = clock.now()
      const body = Buffer.from(JSON.stringify({ event, deviceId, atMs: rxMs }))
      return track(produce(lifecycleRecord(context(deviceId), event, body, rxMs), rxMs))
    },
    inFlight: () => pending.size,
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
  }
}
