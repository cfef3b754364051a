import type { Logger } from 'pino'
import type { Clock } from '../../core/clock.js'
import { PipelineError } from '../../core/errors.js'
import type { InfluxAdapter } from '../../core/influx/client.js'
import type { BatchHandler } from '../../core/kafka/consumer.js'
import type { KafkaProducer } from '../../core/kafka/producer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { StorageConfig } from './config.js'
import { createDeadLetterSender, type DeadLetter } from './dead-letters.js'
import { createInfluxWriter, type InfluxWriter, type PendingPoint } from './influx-writer.js'
import type { StorageMetrics } from './metrics.js'
import type { Measurement } from '../../core/influx/layout.js'
import { recordToPoints } from './points.js'
import { isHeartbeat } from '../../core/telemetry/heartbeat.js'

/** What a buffered point came from: its record (for the DLQ) and its times (for latency). */
export interface PointSource {
  record: KafkaRecord
  measurement: Measurement
  timeMs: number
  backfill: boolean
  gatewayRxMs: number | undefined
}

export interface StoragePipelineDeps {
  influx: Pick<InfluxAdapter, 'write'>
  producer: Pick<KafkaProducer, 'produce'>
  config: Pick<StorageConfig, 'batch' | 'retry' | 'consumer'>
  metrics: StorageMetrics
  clock: Clock
  logger: Logger
  random?: () => number
}

export interface StoragePipeline {
  /** The consumer's batch handler: resolves once every record is in InfluxDB or in the DLQ. */
  handle: BatchHandler
  writer: InfluxWriter<PointSource>
  /** Writes what is buffered once more, then stops retrying (storage is stopping). */
  close(): Promise<void>
}

/** Records → points → InfluxDB, with undecodable or unwritable records parked in the DLQ. */
export function createStoragePipeline(deps: StoragePipelineDeps): StoragePipeline {
  const { config, metrics, clock } = deps
  const log = deps.logger.child({ component: 'storage.pipeline' })
  const closing = new AbortController()
  const deadLetters = createDeadLetterSender({
    producer: deps.producer,
    clock,
    logger: deps.logger,
    retry: config.retry,
    signal: closing.signal,
    onSent: (letter) => metrics.dlqRecords.inc({ reason: letter.reason }),
    onRetry: () => metrics.writeRetries.inc({ reason: 'dlq_produce' }),
  })
  const writer = createInfluxWriter<PointSource>({
    influx: deps.influx,
    maxPoints: config.batch.maxPoints,
    maxWaitMs: config.batch.maxWaitMs,
    retry: config.retry,
    clock,
    logger: deps.logger,
    random: deps.random,
    onRejected: (rejected) => deadLetters.send(lettersForRejected(rejected)),
    observer: {
      request(outcome, points, durationMs) {
        metrics.writeDuration.observe({ outcome }, durationMs / 1_000)
        if (outcome === 'ok') metrics.batchPoints.observe(points)
      },
      written: (entries) => observeStored(metrics, entries, clock.now()),
      retrying: (reason) => metrics.writeRetries.inc({ reason }),
    },
  })

  async function handle(records: KafkaRecord[]): Promise<void> {
    const entries: Array<PendingPoint<PointSource>> = []
    const letters: DeadLetter[] = []
    const data: KafkaRecord[] = []
    for (const record of records) {
      // A gateway heartbeat marks a partition's time for alerting: no point, not undecodable, no
      // DLQ record; its offset is committed with the batch like any other.
      if (isHeartbeat(record)) {
        metrics.heartbeats.inc({ channel: record.topic })
        continue
      }
      data.push(record)
      metrics.recordsConsumed.inc({ channel: record.topic })
      const mapped = recordToPoints(record)
      if (!mapped.ok) {
        letters.push({ record, ...mapped.error })
        continue
      }
      const { gatewayRxMs } = mapped.value
      for (const { line, measurement, timeMs, backfill } of mapped.value.points) {
        entries.push({ line, source: { record, measurement, timeMs, backfill, gatewayRxMs } })
      }
    }
    if (letters.length > 0) {
      log.warn({ records: letters.length, reasons: countBy(letters) }, 'undecodable records sent to the DLQ')
    }
    const written = writer.write(entries, oldestTimestamp(data))
    // A full consumer batch means more records are waiting: holding this one for the flush
    // timer would only add latency, since the next batch cannot arrive before we resolve.
    if (records.length >= config.consumer.maxBatchRecords) void writer.flush()
    await Promise.all([written, deadLetters.send(letters)])
  }

  return {
    handle,
    writer,
    async close() {
      const flushed = writer.close()
      closing.abort(
        new PipelineError('RETRY_ABORTED', 'storage is stopping; the batch will be consumed again'),
      )
      await flushed
    },
  }
}

/** One DLQ record per source record, however many of its points were refused. */
function lettersForRejected(
  rejected: ReadonlyArray<{ entry: PendingPoint<PointSource>; error: PipelineError }>,
): DeadLetter[] {
  const byRecord = new Map<KafkaRecord, DeadLetter>()
  for (const { entry, error } of rejected) {
    const { record } = entry.source
    if (!byRecord.has(record))
      byRecord.set(record, { record, reason: 'influx_rejected', detail: error.message })
  }
  return [...byRecord.values()]
}

function observeStored(
  metrics: StorageMetrics,
  entries: readonly PendingPoint<PointSource>[],
  nowMs: number,
): void {
  const perMeasurement = new Map<Measurement, number>()
  for (const { source } of entries) {
    perMeasurement.set(source.measurement, (perMeasurement.get(source.measurement) ?? 0) + 1)
    if (!source.backfill) metrics.deviceToStored.observe((nowMs - source.timeMs) / 1_000)
    if (source.gatewayRxMs !== undefined)
      metrics.gatewayToStored.observe((nowMs - source.gatewayRxMs) / 1_000)
  }
  for (const [measurement, count] of perMeasurement) metrics.pointsWritten.inc({ measurement }, count)
}

/** When the oldest record of the batch entered Kafka (its record timestamp), if known. */
function oldestTimestamp(records: readonly KafkaRecord[]): number | undefined {
  let oldest: number | undefined
  for (const { timestamp } of records) {
    if (timestamp !== undefined && timestamp > 0 && (oldest === undefined || timestamp < oldest))
      oldest = timestamp
  }
  return oldest
}

function countBy(letters: readonly DeadLetter[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { reason } of letters) counts[reason] = (counts[reason] ?? 0) + 1
  return counts
}
