import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { KafkaConfig } from '../config/shared.js'
import type { Component } from '../lifecycle.js'
import type { RdConfigValue } from './rdkafka.js'
import type { KafkaRecord } from './records.js'

// The consuming port's contract, apart from its node-rdkafka adapter (core/kafka/consumer.ts).

/** What a handler may ask about the batch it is handling. */
export interface BatchContext {
  /**
   * True once a rebalance took any of the batch's partitions from this member while the batch
   * ran (possible in a batch longer than a keep-alive tick). Its offsets are then not this
   * member's to commit: an in-transaction handler drops its output instead (the eager
   * reassignment restarts every partition from its committed offset).
   */
  revoked(): boolean
}

/**
 * Handles one batch. Resolving means every record is done (written, emitted, delivered): only
 * then are the batch's offsets committed. Rejecting stops the consumer without committing, so
 * the batch is consumed again after a restart (at-least-once).
 */
export type BatchHandler = (records: KafkaRecord[], batch?: BatchContext) => Promise<void>

export interface TopicPartition {
  topic: string
  partition: number
}

/** The consuming port: a consumer-group member with manual commits and pause/resume. */
export interface KafkaConsumer extends Component {
  /** Stops fetching from every assigned partition (e.g. while a sink is down). */
  pause(): void
  resume(): void
  assignments(): TopicPartition[]
  /** Offsets committed so far by this member, for tests and lag metrics. */
  committedOffsets(): ReadonlyMap<string, number>
}

export interface ConsumerOptions {
  kafka: KafkaConfig
  groupId: string
  clientId: string
  topics: readonly string[]
  handler: BatchHandler
  logger: Logger
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean
  /**
   * Replay: read exactly these partitions from these offsets (no group rebalancing; offsets
   * are still committed under groupId). Subscribes to `topics` with the group when absent.
   */
  assign?: ReadonlyArray<TopicPartition & { offset: number }>
  maxBatchSize?: number
  /** How long one fetch waits for records before handing over a partial batch. */
  fetchWaitMs?: number
  /**
   * Once a fetch returned records, go on fetching for up to this long (or until maxBatchSize) before
   * the handler runs: fewer, larger batches where each batch costs a commit or a transaction.
   * 0 (default): hand over what one fetch returned.
   */
  batchWindowMs?: number
  /** Told when the consumer has read everything a partition held at that moment. */
  onPartitionEnd?: (partition: TopicPartition & { offset: number }) => void
  /** Told after each rebalance (tests wait for the first assignment before producing). */
  onRebalance?: (event: 'assigned' | 'revoked', partitions: TopicPartition[]) => void
  /** Called when the handler fails; the consumer has stopped fetching by then. */
  onFatal?: (err: unknown) => void
  /**
   * stop(): after the last batch was handled, while still a group member (a transactional
   * handler can still commit offsets). A failure is logged; the consumer disconnects anyway.
   */
  beforeDisconnect?: () => Promise<void>
  /** How long start() waits for the first metadata answer. */
  connectTimeoutMs?: number
  /**
   * 'after-handler' (default): this adapter commits a batch's offsets once the handler resolved.
   * 'in-transaction': the handler commits them itself, inside a Kafka transaction
   * (core/kafka/transactional-producer.ts), atomically with what it produced.
   */
  offsetCommits?: 'after-handler' | 'in-transaction'
  /**
   * 'cooperative-sticky' (default): incremental rebalances, fewest moves. 'range' (eager): every
   * rebalance revokes everything, then gives each member the same partition indexes of every
   * topic when their partition counts are equal: co-partitioning for stateful processors
   * (ADR 0014; librdkafka has no pluggable assignor).
   */
  assignmentStrategy?: 'cooperative-sticky' | 'range'
  tuning?: Record<string, RdConfigValue>
  /**
   * The process's metrics registry: when given, the member reports
   * `pulsewire_kafka_consumer_lag{group,topic,partition}` there (core/kafka/consumer-lag.ts).
   */
  registry?: Registry
  /** How often librdkafka emits the statistics the lag gauge reads (statistics.interval.ms). */
  lagIntervalMs?: number
}
