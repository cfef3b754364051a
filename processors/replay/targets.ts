import type { Logger } from 'pino'
import { decodeAlertEvent } from '../../core/alerts/alert-event.js'
import type { Clock } from '../../core/clock.js'
import { createInfluxAdapter, type InfluxAdapter } from '../../core/influx/client.js'
import type { DeliveryReport, KafkaRecord, ProduceRecord } from '../../core/kafka/records.js'
import { createMetricsRegistry } from '../../core/metrics.js'
import { retry } from '../../core/retry.js'
import { isHeartbeat } from '../../core/telemetry/heartbeat.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import type { SinkDefinition } from '../sinks/config.js'
import { createDeadLetterFile } from '../sinks/dead-letters.js'
import { createSinkMetrics } from '../sinks/metrics.js'
import { createSinkRunner } from '../sinks/runner.js'
import type { StorageConfig } from '../storage/config.js'
import { createStorageMetrics } from '../storage/metrics.js'
import { createStoragePipeline } from '../storage/pipeline.js'

/** What a target did with each record it was handed, per partition. */
export type Outcome = 'written' | 'skipped'

export interface ReplayTarget {
  readonly name: string
  start(): Promise<void>
  /** Handles a batch; resolves when it is durable at the target. Returns one outcome per record. */
  handle(records: readonly KafkaRecord[]): Promise<Outcome[]>
  /** Why records were skipped, by reason (heartbeat, rejected, duplicate, filtered, dead-lettered…). */
  skipReasons(): Record<string, number>
  stop(): Promise<void>
}

function tally(): { add(reason: string): void; all(): Record<string, number> } {
  const counts: Record<string, number> = {}
  return {
    add: (reason) => void (counts[reason] = (counts[reason] ?? 0) + 1),
    all: () => ({ ...counts }),
  }
}

/** Counts only: nothing is written anywhere (`--dry-run`). Heartbeats are told apart. */
export function createDryRunTarget(): ReplayTarget {
  const skipped = tally()
  return {
    name: 'dry-run',
    start: () => Promise.resolve(),
    handle(records) {
      return Promise.resolve(
        records.map((r) => {
          if (!isHeartbeat(r)) return 'written'
          skipped.add('heartbeat')
          return 'skipped'
        }),
      )
    },
    skipReasons: () => skipped.all(),
    stop: () => Promise.resolve(),
  }
}

export interface StorageTargetOptions {
  config: Pick<StorageConfig, 'influx' | 'batch' | 'retry' | 'consumer' | 'ensureBucket'>
  clock: Clock
  logger: Logger
}

/**
 * InfluxDB through storage's own pipeline (processors/storage/pipeline.ts): the same decode,
 * point building and batched, retried writes. Points are identified by measurement + tags +
 * reading time, so replaying a window writes the same points again and changes no count. A record
 * storage refuses is counted as skipped (`rejected`), not dead-lettered again: it was sent to the
 * DLQ when storage first read it.
 */
export function createStorageTarget(options: StorageTargetOptions): ReplayTarget {
  const skipped = tally()
  const influx: InfluxAdapter = createInfluxAdapter(options.config.influx)
  const refused = new Set<KafkaRecord>()
  const byPlace = new Map<string, KafkaRecord>()
  // Storage names where a refused record was read at the end of its DLQ detail (dead-letters.ts).
  const noSecondDeadLetter = {
    produce(record: ProduceRecord): Promise<DeliveryReport> {
      const where = /\((.+)\/(\d+)@(\d+)\)$/.exec(record.headers?.[HEADERS.rejectDetail]?.toString() ?? '')
      const source = where ? byPlace.get(`${where[2]}@${where[3]}`) : undefined
      if (source) refused.add(source)
      // Nothing was written: the report says where the refused record was read.
      return Promise.resolve({
        topic: record.topic,
        partition: source?.partition ?? -1,
        offset: source?.offset ?? -1,
      })
    },
  }
  const pipeline = createStoragePipeline({
    influx,
    producer: noSecondDeadLetter,
    // A replay batch is always handed over whole: flush at once instead of waiting for the timer.
    config: { ...options.config, consumer: { ...options.config.consumer, maxBatchRecords: 1 } },
    metrics: createStorageMetrics(createMetricsRegistry('replay')),
    clock: options.clock,
    logger: options.logger,
  })
  return {
    name: 'storage',
    async start() {
      if (!options.config.ensureBucket) return
      await retry(() => influx.ensureBucket(), {
        attempts: 5,
        initialDelayMs: options.config.retry.minDelayMs,
        maxDelayMs: options.config.retry.maxDelayMs,
        clock: options.clock,
      })
    },
    async handle(records) {
      byPlace.clear()
      refused.clear()
      for (const r of records) byPlace.set(`${r.partition}@${r.offset}`, r)
      await pipeline.handle([...records])
      return records.map((r) => {
        if (isHeartbeat(r)) skipped.add('heartbeat')
        else if (refused.has(r)) skipped.add('rejected')
        else return 'written'
        return 'skipped'
      })
    },
    skipReasons: () => skipped.all(),
    async stop() {
      await pipeline.close()
      await influx.close()
    },
  }
}

export interface SinkTargetOptions {
  sink: SinkDefinition
  clock: Clock
  logger: Logger
}

/**
 * One configured alert sink through the sink runner (processors/sinks/runner.ts): filter, dedupe
 * by (alertId, transition, eventTsMs), timeout, retries and its dead-letter file, exactly as the
 * live `pulsewire alerts` would deliver, but without a consumer group.
 */
export function createSinkTarget(options: SinkTargetOptions): ReplayTarget {
  const { sink } = options
  const skipped = tally()
  const deadLetters = createDeadLetterFile(sink.deadLetterFile, sink.name)
  const runner = createSinkRunner({
    name: sink.name,
    sink: sink.sink,
    policy: sink.delivery,
    deadLetters,
    metrics: createSinkMetrics(createMetricsRegistry('replay')),
    clock: options.clock,
    logger: options.logger,
    recentKeys: sink.recentKeys,
    filter: sink.filter,
  })
  return {
    name: `sink:${sink.name}`,
    start: async () => {
      await sink.sink.start?.()
    },
    async handle(records) {
      const outcomes: Outcome[] = []
      for (const record of records) {
        const decoded = decodeAlertEvent(record.value)
        if (!decoded.ok) {
          skipped.add('undecodable')
          outcomes.push('skipped')
          continue
        }
        const source = { topic: record.topic, partition: record.partition, offset: record.offset }
        const outcome = await runner.deliver(decoded.value, source)
        if (outcome === 'delivered') outcomes.push('written')
        else {
          skipped.add(outcome)
          outcomes.push('skipped')
        }
      }
      await sink.sink.flush?.()
      return outcomes
    },
    skipReasons: () => skipped.all(),
    async stop() {
      runner.stop()
      await sink.sink.stop?.()
      await deadLetters.close()
    },
  }
}
