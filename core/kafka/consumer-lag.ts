import { Gauge, type Registry } from 'prom-client'
import type { ConsumerOptions, TopicPartition } from './consumer-port.js'
import type { OffsetBook } from './offset-book.js'
import type { Kafka } from './rdkafka.js'

// The consumer-lag gauge every consumer built by core/kafka/consumer.ts reports (ADR 0019).

export const CONSUMER_LAG_METRIC = 'pulsewire_kafka_consumer_lag'

/** One member's view of its partitions, read at scrape time. */
interface LagSource {
  groupId: string
  series(): Array<TopicPartition & { lag: number }>
}

const sourcesByRegistry = new WeakMap<Registry, Set<LagSource>>()

/**
 * The gauge, once per registry (a process holds several consumers: alerting, each sink). Values are
 * computed at scrape time from what every live member holds *now*, so a revoked partition's series
 * is gone with the next scrape and no stale label set can linger.
 */
export function registerConsumerLagGauge(registry: Registry): Set<LagSource> {
  const existing = sourcesByRegistry.get(registry)
  if (existing) return existing
  const sources = new Set<LagSource>()
  new Gauge({
    name: CONSUMER_LAG_METRIC,
    help:
      'Records of a partition behind its end (high watermark; last stable offset for read_committed), from the ' +
      "member's finished or committed offset. Only partitions this member owns; absent while unknown.",
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const source of sources) {
        for (const { topic, partition, lag } of source.series()) {
          this.set({ group: source.groupId, topic, partition: String(partition) }, lag)
        }
      }
    },
  })
  sourcesByRegistry.set(registry, sources)
  return sources
}

export interface LagTrackerOptions {
  registry: Registry
  groupId: string
  /** Partitions the member owns now (the client's assignment). */
  assignments(): TopicPartition[]
  /** Next offset after what the handler finished, per "topic/partition" (the offset book). */
  processed(): ReadonlyMap<string, number>
  /** Partitions paused now: librdkafka fetches nothing there, so its high watermark goes stale. */
  paused(): TopicPartition[]
  /** A fresh high watermark from the partition leader (ListOffsets). */
  queryEnd(tp: TopicPartition): Promise<number>
  /** read_committed (librdkafka's default) measures against the last stable offset. */
  readCommitted: boolean
  /** A group without a commit starts at the log start (earliest) or the end (latest). */
  fromBeginning: boolean
}

export interface LagTracker {
  /** librdkafka's `event.stats` JSON (statistics.interval.ms). */
  onStats(json: string): void
  delivered(records: ReadonlyArray<TopicPartition & { offset: number }>): void
  /** partition.eof: the member has read everything up to `offset`. */
  endReached(tp: TopicPartition & { offset: number }): void
  forget(partitions: readonly TopicPartition[]): void
  close(): void
}

interface PartitionStats {
  hi_offset?: number
  ls_offset?: number
  lo_offset?: number
  committed_offset?: number
}

const keyOf = (topic: string, partition: number): string => `${topic}/${partition}`

export function createLagTracker(options: LagTrackerOptions): LagTracker {
  const ends = new Map<string, number>()
  const starts = new Map<string, number>()
  const committed = new Map<string, number>()
  const delivered = new Map<string, number>()
  const eof = new Map<string, number>()

  /**
   * Where the member stands: what it finished, what the group committed (librdkafka fetched it at
   * assignment; alerting commits inside transactions, which librdkafka's own `consumer_lag` never
   * sees), or the end it reached once every delivered record is finished (so the commit marker of
   * a transaction, which takes an offset, does not read as one record of lag).
   */
  function position(key: string): number | undefined {
    const done = options.processed().get(key) ?? -1
    const reached = eof.get(key) ?? -1
    const atEof = reached >= 0 && done >= (delivered.get(key) ?? -1) ? reached : -1
    const best = Math.max(done, committed.get(key) ?? -1, atEof)
    if (best >= 0) return best
    return options.fromBeginning ? starts.get(key) : undefined
  }

  const source: LagSource = {
    groupId: options.groupId,
    series() {
      return options.assignments().flatMap(({ topic, partition }) => {
        const key = keyOf(topic, partition)
        const end = ends.get(key)
        const at = position(key)
        if (end === undefined || at === undefined) return []
        // The end comes from the last statistics tick, the position is live: never below zero.
        return [{ topic, partition, lag: Math.max(0, end - at) }]
      })
    },
  }
  const sources = registerConsumerLagGauge(options.registry)
  sources.add(source)

  function refreshPaused(): void {
    for (const tp of options.paused()) {
      options.queryEnd(tp).then(
        (end) => {
          if (end >= 0) ends.set(keyOf(tp.topic, tp.partition), end)
        },
        () => undefined, // the next tick asks again; the old end stays meanwhile
      )
    }
  }

  return {
    onStats(json) {
      const stats = JSON.parse(json) as {
        topics?: Record<string, { partitions?: Record<string, PartitionStats> }>
      }
      for (const [topic, t] of Object.entries(stats.topics ?? {})) {
        for (const [id, p] of Object.entries(t.partitions ?? {})) {
          if (id === '-1') continue // librdkafka's internal unassigned partition
          const key = keyOf(topic, Number(id))
          const end = options.readCommitted ? p.ls_offset : p.hi_offset
          if (end !== undefined && end >= 0) ends.set(key, end)
          if (p.lo_offset !== undefined && p.lo_offset >= 0) starts.set(key, p.lo_offset)
          if (p.committed_offset !== undefined && p.committed_offset >= 0)
            committed.set(key, p.committed_offset)
        }
      }
      refreshPaused()
    },
    delivered(records) {
      for (const r of records) {
        const key = keyOf(r.topic, r.partition)
        delivered.set(key, Math.max(delivered.get(key) ?? -1, r.offset + 1))
      }
    },
    endReached(tp) {
      eof.set(keyOf(tp.topic, tp.partition), tp.offset)
    },
    forget(partitions) {
      for (const { topic, partition } of partitions) {
        const key = keyOf(topic, partition)
        for (const map of [ends, starts, committed, delivered, eof]) map.delete(key)
      }
    },
    close() {
      sources.delete(source)
    },
  }
}

/** The tracker of one node-rdkafka consumer (core/kafka/consumer.ts). */
export function trackConsumerLag(
  options: ConsumerOptions & { registry: Registry },
  client: InstanceType<typeof Kafka.KafkaConsumer>,
  book: OffsetBook,
  paused: () => readonly TopicPartition[],
): LagTracker {
  const isolation = options.tuning?.['isolation.level'] ?? options.kafka.librdkafka['isolation.level']
  return createLagTracker({
    registry: options.registry,
    groupId: options.groupId,
    assignments: () => client.assignments().map(({ topic, partition }) => ({ topic, partition })),
    processed: () => book.processedOffsets(),
    paused: () => paused().map(({ topic, partition }) => ({ topic, partition })),
    queryEnd: ({ topic, partition }) =>
      new Promise<number>((resolve, reject) => {
        client.queryWatermarkOffsets(topic, partition, 2_000, (err, offsets) => {
          if (err) reject(new Error(err.message))
          else resolve(offsets.highOffset)
        })
      }),
    readCommitted: isolation !== 'read_uncommitted',
    fromBeginning: options.fromBeginning !== false,
  })
}
