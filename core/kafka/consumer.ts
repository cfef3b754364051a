import type { Logger } from 'pino'
import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import type { Component } from '../lifecycle.js'
import { fromRdHeaders } from './headers.js'
import { Kafka, baseRdConfig, withOverrides, type RdConfigValue, type RdMessage } from './rdkafka.js'
import type { KafkaRecord } from './records.js'
import { registerNativeConsumer } from './native.js'

/**
 * Handles one batch. Resolving means every record is done (written, emitted, delivered): only
 * then are the batch's offsets committed. Rejecting stops the consumer without committing, so
 * the batch is consumed again after a restart (at-least-once).
 */
export type BatchHandler = (records: KafkaRecord[]) => Promise<void>

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
  /** Told when the consumer has read everything a partition held at that moment. */
  onPartitionEnd?: (partition: TopicPartition & { offset: number }) => void
  /** Told after each rebalance (tests wait for the first assignment before producing). */
  onRebalance?: (event: 'assigned' | 'revoked', partitions: TopicPartition[]) => void
  /** Called when the handler fails; the consumer has stopped fetching by then. */
  onFatal?: (err: unknown) => void
  /** How long start() waits for the first metadata answer. */
  connectTimeoutMs?: number
  /**
   * 'after-handler' (default): this adapter commits a batch's offsets once the handler resolved.
   * 'in-transaction': the handler commits them itself, inside a Kafka transaction
   * (core/kafka/transactional-producer.ts), atomically with what it produced.
   */
  offsetCommits?: 'after-handler' | 'in-transaction'
  tuning?: Record<string, RdConfigValue>
}

const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`

export function createKafkaConsumer(options: ConsumerOptions): KafkaConsumer {
  const log = options.logger.child({ component: 'kafka.consumer', groupId: options.groupId })
  const maxBatchSize = options.maxBatchSize ?? 500
  const rdConfig = withOverrides(
    {
      ...baseRdConfig(options.kafka, options.clientId),
      'group.id': options.groupId,
      // Offsets are committed by us, after the handler finished the batch (at-least-once).
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'partition.assignment.strategy': 'cooperative-sticky',
      // node-rdkafka's batch consume waits fetchWaitMs per record; with EOF events on, it stops
      // waiting once it has reached the end of a partition, so a batch never idles while
      // half full (lower latency at moderate rates).
      'enable.partition.eof': true,
      // A crashed member's partitions move after 10 s instead of librdkafka's 45 s default:
      // an alarm pipeline cannot sit out most of a minute.
      'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 2_000,
      rebalance_cb: true,
      offset_commit_cb: true,
      ...options.tuning,
    },
    options.kafka.librdkafka,
  )
  const client = new Kafka.KafkaConsumer(rdConfig, {
    'auto.offset.reset': options.fromBeginning === false ? 'latest' : 'earliest',
  })
  client.setDefaultConsumeTimeout(options.fetchWaitMs ?? 100)
  const processed = new Map<string, number>() // next offset to commit, per partition
  const committed = new Map<string, number>()
  let running = false
  let loopDone: Promise<void> = Promise.resolve()

  client.on('event.error', (err) => log.warn({ err }, 'kafka client error'))
  client.on('offset.commit', (err, offsets) => {
    if (err) {
      log.warn({ err }, 'offset commit failed; records after the last commit will be consumed again')
      return
    }
    for (const tp of offsets) {
      if (tp.offset >= 0) committed.set(partitionKey(tp.topic, tp.partition), tp.offset)
    }
  })
  client.on('partition.eof', (eof) =>
    options.onPartitionEnd?.({ topic: eof.topic, partition: eof.partition, offset: eof.offset }),
  )
  client.on('rebalance', (err, assignment) => {
    // Revoked partitions go to another member: hand over what this member finished.
    if (err.code === -174) commitProcessed(assignment, true)
    const event = err.code === -175 ? 'assigned' : 'revoked'
    log.info({ event, partitions: assignment.length }, 'rebalance')
    options.onRebalance?.(
      event,
      assignment.map(({ topic, partition }) => ({ topic, partition })),
    )
  })

  function commitProcessed(partitions: readonly TopicPartition[] | undefined, sync: boolean): void {
    if (options.offsetCommits === 'in-transaction') return
    const offsets = [...processed.entries()]
      .map(([key, offset]) => {
        const slash = key.lastIndexOf('/')
        return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), offset }
      })
      .filter((tp) => committed.get(partitionKey(tp.topic, tp.partition)) !== tp.offset)
      .filter(
        (tp) => !partitions || partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition),
      )
    if (offsets.length === 0) return
    try {
      if (sync) {
        client.commitSync(offsets)
        for (const tp of offsets) committed.set(partitionKey(tp.topic, tp.partition), tp.offset)
      } else {
        client.commit(offsets)
      }
    } catch (err) {
      log.warn({ err }, 'offset commit failed; records after the last commit will be consumed again')
    }
  }

  function fetchBatch(): Promise<RdMessage[]> {
    return new Promise((resolve) => {
      client.consume(maxBatchSize, (err, messages) => {
        if (err) {
          log.debug({ err }, 'fetch failed')
          resolve([])
          return
        }
        resolve(messages)
      })
    })
  }

  async function loop(): Promise<void> {
    while (running) {
      const messages = await fetchBatch()
      // A batch fetched while stopping is still handled (and committed) rather than dropped.
      if (messages.length === 0) continue
      const records = messages.map(toRecord)
      try {
        await options.handler(records)
      } catch (err) {
        running = false
        log.error({ err }, 'batch handler failed; stopping without committing the batch')
        options.onFatal?.(err)
        return
      }
      for (const m of messages) processed.set(partitionKey(m.topic, m.partition), m.offset + 1)
      commitProcessed(undefined, false)
    }
  }

  const port: KafkaConsumer = {
    name: `kafka-consumer:${options.groupId}`,
    start: () =>
      new Promise<void>((resolve, reject) => {
        client.connect({ timeout: options.connectTimeoutMs ?? 10_000 }, (err) => {
          if (err) {
            reject(
              new PipelineError('KAFKA_CONNECT_FAILED', `cannot reach Kafka at ${options.kafka.brokers}`, {
                cause: err,
                retriable: true,
              }),
            )
            return
          }
          if (options.assign) client.assign(options.assign.map((tp) => ({ ...tp })))
          else client.subscribe([...options.topics])
          running = true
          loopDone = loop()
          resolve()
        })
      }),
    async stop() {
      if (!client.isConnected()) return
      running = false
      await loopDone
      commitProcessed(undefined, true)
      await new Promise<void>((resolve) => client.disconnect(() => resolve()))
    },
    pause: () => {
      client.pause(client.assignments())
    },
    resume: () => {
      client.resume(client.assignments())
    },
    assignments: () => client.assignments().map(({ topic, partition }) => ({ topic, partition })),
    committedOffsets: () => committed,
  }
  registerNativeConsumer(port, client)
  return port
}

function toRecord(message: RdMessage): KafkaRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key === undefined || message.key === null ? undefined : message.key.toString(),
    value: message.value ?? Buffer.alloc(0),
    timestamp: message.timestamp,
    headers: fromRdHeaders(message.headers),
  }
}
