import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import type { KafkaProducer } from '../core/kafka/producer.js'
import type { OutgoingRecord } from '../core/kafka/records.js'
import { PipelineError } from '../core/errors.js'
import type { DeviceDirectory } from './auth.js'
import {
  dlqRecord,
  lifecycleRecord,
  telemetryRecord,
  type DeviceContext,
  type DisconnectCause,
  type LifecycleEvent,
} from './forward.js'
import { createLogWindow } from './log-window.js'
import type { GatewayMetrics } from './metrics.js'
import { dropMissingValues } from './missing-values.js'
import { validateTelemetry, type ValidationLimits } from './validate.js'

/**
 * The pre-acknowledgement path. Each call resolves only once its record is in Kafka (acks=all):
 * good telemetry on its channel, poison in the DLQ. The broker hook awaits it before aedes
 * writes the PUBACK, which is the delivery promise (architecture.md §2).
 */
export interface Ingest {
  /**
   * `signal`: aborted when the publishing connection closes. A record still waiting for the
   * producer is then withdrawn unproduced: it was never acknowledged, so the device sends it
   * again on its next connection, and producing the stale copy too would only duplicate it.
   */
  telemetry(deviceId: string, topic: string, payload: Buffer, signal?: AbortSignal): Promise<void>
  status(deviceId: string, payload: Buffer, signal?: AbortSignal): Promise<void>
  /** `cause`: only on a disconnect the gateway made because it is stopping (gateway_shutdown). */
  lifecycle(deviceId: string, event: LifecycleEvent, cause?: DisconnectCause): Promise<void>
  inFlight(): number
  /** Resolves when every accepted publish has its delivery report. */
  drain(): Promise<void>
}

export interface IngestDeps {
  producer: KafkaProducer
  directory: DeviceDirectory
  limits: ValidationLimits
  dlq: { oversizedKeepBytes: number }
  /** Logged with a backlog refusal: the configured bound it hit. */
  maxWaiting?: { records: number; bytes: number }
  clock: Clock
  metrics: GatewayMetrics
  logger: Logger
  /** Per-device DLQ quota (ADR 0013): false = acknowledge and count the payload, no DLQ record. */
  dlqQuota?: (deviceId: string, reason: string) => boolean
}

const OVERSIZED_LOG_EVERY_MS = 60_000
const BACKLOG_LOG_EVERY_MS = 60_000

export function createIngest(deps: IngestDeps): Ingest {
  const { producer, directory, limits, clock, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.ingest' })
  const pending = new Set<Promise<void>>()
  const oversized = { count: 0, largest: 0, loggedAtMs: Number.NEGATIVE_INFINITY }
  const backlogLog = createLogWindow(clock, BACKLOG_LOG_EVERY_MS)

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

  async function produce(record: OutgoingRecord, startedMs: number, signal?: AbortSignal): Promise<void> {
    metrics.inFlight.inc()
    try {
      await producer.produce(record, signal ? { signal } : undefined)
      metrics.produced.inc({ channel: record.topic, outcome: 'delivered' })
      metrics.produceDuration.observe((clock.now() - startedMs) / 1000)
      // Handed to librdkafka before its connection closed: in Kafka now, and the device, which
      // never got the PUBACK, sends it again. The one duplicate source left (ADR 0012).
      if (signal?.aborted) metrics.deliveredAfterClose.inc()
    } catch (err) {
      noteFailure(record, err)
      throw err
    } finally {
      metrics.inFlight.dec()
    }
  }

  function noteFailure(record: OutgoingRecord, err: unknown): void {
    const code = err instanceof PipelineError ? err.code : undefined
    if (code === 'KAFKA_PRODUCE_ABORTED') {
      metrics.withdrawn.inc()
      return
    }
    metrics.produced.inc({ channel: record.topic, outcome: 'failed' })
    if (code === 'KAFKA_BACKLOG_FULL') {
      metrics.publishesRefused.inc({ reason: 'producer_backlog' })
      const refused = backlogLog.note()
      if (refused !== undefined)
        log.warn(
          { refused, waiting: producer.waiting(), maxWaiting: deps.maxWaiting },
          'producer backlog full: publishes refused unacknowledged, their connections closed',
        )
      return
    }
    // No PUBACK: the device keeps the message and resends it on its next connection.
    log.warn({ err, channel: record.topic }, 'produce failed; publish left unacknowledged')
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
    telemetry(deviceId, topic, payload, signal) {
      const rxMs = clock.now()
      metrics.received.inc({ stream: 'telemetry' })
      const entry = directory.lookup(deviceId)
      // No registry entry, no channel: the broker's publish hook refuses these first; this is the
      // backstop, so a payload can never pick its own channel (issue #10, finding 2).
      if (!entry) return Promise.reject(new Error(`device ${deviceId} is not enrolled`))
      const device: DeviceContext = { deviceId, ...entry }
      const result = validateTelemetry(deviceId, payload, rxMs, limits, entry.type)
      if (!result.ok) {
        metrics.rejected.inc({ reason: result.error.reason })
        log.debug({ deviceId, reason: result.error.reason }, 'payload rejected to DLQ')
        // Poison in a loop is one bug repeated: its first records show it, the rest are counted.
        if (deps.dlqQuota && !deps.dlqQuota(deviceId, result.error.reason)) return Promise.resolve()
        const keep = deps.dlq.oversizedKeepBytes
        const letter = dlqRecord(device, topic, payload, result.error, rxMs, keep)
        if (letter.value.length < payload.length) noteTruncated(payload.length)
        return track(produce(letter, rxMs, signal))
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
        return track(Promise.all(records.map((r) => produce(r, rxMs, signal))).then(() => undefined))
      }
      const record = telemetryRecord(device, result.value.deviceType, payload, rxMs)
      metrics.accepted.inc({ channel: record.topic })
      return track(produce(record, rxMs, signal))
    },
    status(deviceId, payload, signal) {
      const rxMs = clock.now()
      metrics.received.inc({ stream: 'status' })
      return track(produce(lifecycleRecord(context(deviceId), 'status', payload, rxMs), rxMs, signal))
    },
    lifecycle(deviceId, event, cause) {
      const rxMs = clock.now()
      const body = Buffer.from(JSON.stringify({ event, deviceId, atMs: rxMs }))
      return track(produce(lifecycleRecord(context(deviceId), event, body, rxMs, cause), rxMs))
    },
    inFlight: () => pending.size,
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
  }
}
