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
const samePartition = (a: TopicPartition, b: TopicPartition): boolean =>
  a.topic === b.topic && a.partition === b.partition

/**
 * How long a batch may run before its partitions are paused and the member polls on: far below
 * any usable max.poll.interval.ms (librdkafka requires it >= session.timeout.ms, 10 s here), and
 * long enough that an ordinary batch never pays the pause (which drops the prefetched records).
 */
const KEEP_ALIVE_MS = 1_000

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
  let pausedByCaller = false
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

  function fetchBatch(size = maxBatchSize): Promise<RdMessage[]> {
    return new Promise((resolve) => {
      client.consume(size, (err, messages) => {
        if (err) {
          log.debug({ err }, 'fetch failed')
          resolve([])
          return
        }
        resolve(messages)
      })
    })
  }

  /**
   * Runs the handler while keeping this member in its group. librdkafka evicts a member that has
   * not polled for max.poll.interval.ms, and a handler waiting out an outage (storage retries
   * InfluxDB forever) would not poll at all. So a handler still busy after KEEP_ALIVE_MS gets its
   * partitions paused (librdkafka then delivers no records, ADR 0011) and the loop polls on,
   * which also serves rebalance callbacks. Records a poll still returns (a partition assigned
   * meanwhile, not yet paused) are returned, in order, for the next batch.
   */
  async function handleKeepingMembership(records: KafkaRecord[]): Promise<RdMessage[]> {
    const handled = options.handler(records).then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, err }),
    )
    const carried: RdMessage[] = []
    const paused: TopicPartition[] = []
    try {
      for (;;) {
        let timer: NodeJS.Timeout | undefined
        const tick = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), KEEP_ALIVE_MS)
        })
        const outcome = await Promise.race([handled, tick])
        clearTimeout(timer)
        if (outcome) {
          if (!outcome.ok) throw outcome.err
          return carried
        }
        const fresh = client.assignments().filter((tp) => !paused.some((p) => samePartition(p, tp)))
        if (fresh.length > 0) {
          if (paused.length === 0) log.info('batch still in progress; pausing fetches and polling on')
          client.pause(fresh.map(({ topic, partition }) => ({ topic, partition })))
          paused.push(...fresh.map(({ topic, partition }) => ({ topic, partition })))
        }
        carried.push(...(await fetchBatch()))
      }
    } finally {
      // Partitions revoked meanwhile are no longer ours to resume; a pause() of the port's own
      // (a caller holding the consumer) outlives the batch.
      const ours = client.assignments().filter((tp) => paused.some((p) => samePartition(p, tp)))
      if (ours.length > 0 && !pausedByCaller) {
        try {
          client.resume(ours.map(({ topic, partition }) => ({ topic, partition })))
        } catch (err) {
          log.warn({ err }, 'resume after a long batch failed')
        }
      }
    }
  }

  async function loop(): Promise<void> {
    const carried: RdMessage[] = []
    while (running) {
      const messages = carried.length > 0 ? carried.splice(0, maxBatchSize) : await fetchBatch()
      // A batch fetched while stopping is still handled (and committed) rather than dropped.
      if (messages.length === 0) continue
      const records = messages.map(toRecord)
      try {
        carried.push(...(await handleKeepingMembership(records)))
      } catch (err) {
        running = false
        log.error({ err }, 'batch handler failed; stopping without committing the batch')
        options.onFatal?.(err)
        return
      }
      for (const m of messages) {
        // Never backwards: a partition revoked and assigned again mid-batch replays from its commit.
        const key = partitionKey(m.topic, m.partition)
        processed.set(key, Math.max(processed.get(key) ?? 0, m.offset + 1))
      }
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
      pausedByCaller = true
      client.pause(client.assignments())
    },
    resume: () => {
      pausedByCaller = false
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
