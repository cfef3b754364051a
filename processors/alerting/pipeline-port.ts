import type { Clock } from '../../core/clock.js'
import type { Logger } from '../../core/log.js'
import type { KafkaRecord, OutgoingRecord } from '../../core/kafka/records.js'
import type { DedupeLimits } from './dedupe.js'
import type { AlertEngine } from './engine/engine.js'
import type { AlertingMetrics } from './metrics.js'
import type { TopicPartition } from './record-input.js'
import type { Priority } from './rules/schema-parts.js'
import type { StoredState } from './state-store.js'

export interface AlertPipelineDeps {
  /** A fresh engine: one per assignment, so devices of revoked partitions leave with them. */
  createEngine: () => AlertEngine
  /**
   * Makes the batch's output and its input offsets durable together (one Kafka transaction):
   * a crash can then neither lose a transition nor emit it twice.
   */
  commit: (records: OutgoingRecord[], offsets: Array<TopicPartition & { offset: number }>) => Promise<void>
  /** Bounds of duplicate detection by (device, boot, seq) (dedupe.ts). */
  dedupe: DedupeLimits
  /** Partition clocks and the monitoring-unavailable alarm (partition-clocks.ts, monitoring-watch.ts). */
  time: {
    groupId: string
    gapMs: number
    stallMs: number
    resumeGraceMs: number
    monitoringPriority: Priority
  }
  /**
   * maxDirtyMs: how long a device's changed state may go unwritten when it has no transition
   * (dirty-states.ts); 0 (the default): written with every batch that changes it.
   */
  stateWrites?: { maxDirtyMs: number }
  metrics: AlertingMetrics
  clock: Clock
  logger: Logger
}

/**
 * consume → evaluate → emit alerts and state → (the consumer commits). Transitions and the state
 * that produced them are both durable in Kafka before the batch's offsets are committed.
 */
export interface AlertPipeline {
  handle(records: KafkaRecord[]): Promise<void>
  /**
   * Emits the escalations that fell due on the alerting clock, with the state that records them,
   * in a transaction of their own (no input offsets): called on a timer, never during handle().
   */
  tick(): Promise<void>
  /**
   * At start and after every rebalance: a new engine holding the stored state of every device
   * on the assigned partitions, so a device that went silent before a restart still raises
   * communication loss, and none of another member's devices does.
   */
  reset(latest: Map<string, StoredState>, assigned: readonly TopicPartition[]): void
  /**
   * Writes every dirty device and commits each partition up to where it was read (a graceful
   * stop: the next owner then re-reads nothing). Called after the last batch, never during one.
   */
  flush(): Promise<void>
}
