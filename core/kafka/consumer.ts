import { PipelineError } from '../errors.js'
import type { BatchContext, ConsumerOptions, KafkaConsumer, TopicPartition } from './consumer-port.js'
import { fromRdHeaders } from './headers.js'
import { Kafka, baseRdConfig, withOverrides, type RdMessage } from './rdkafka.js'
import type { KafkaRecord } from './records.js'
import { registerNativeConsumer } from './native.js'
import { createOffsetBook } from './offset-book.js'
import { trackConsumerLag } from './consumer-lag.js'

export type {
  BatchContext,
  BatchHandler,
  ConsumerOptions,
  KafkaConsumer,
  TopicPartition,
} from './consumer-port.js'

const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`
const samePartition = (a: TopicPartition, b: TopicPartition): boolean =>
  a.topic === b.topic && a.partition === b.partition

/**
 * How long a batch may run before its partitions are paused and the member polls on: far below
 * any usable max.poll.interval.ms (librdkafka requires it >= session.timeout.ms, 10 s here), and
 * long enough that an ordinary batch never pays the pause (which drops the prefetched records).
 */
const KEEP_ALIVE_MS = 1_000
/** Fetch cadence while a batch window is open. */
const BATCH_WINDOW_STEP_MS = 5

export function createKafkaConsumer(options: ConsumerOptions): KafkaConsumer {
  const log = options.logger.child({ component: 'kafka.consumer', groupId: options.groupId })
  const maxBatchSize = options.maxBatchSize ?? 500
  const batchWindowMs = options.batchWindowMs ?? 0
  const rdConfig = withOverrides(
    {
      ...baseRdConfig(options.kafka, options.clientId),
      'group.id': options.groupId,
      // Offsets are committed by us, after the handler finished the batch (at-least-once).
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'partition.assignment.strategy': options.assignmentStrategy ?? 'cooperative-sticky',
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
      // Statistics feed the lag gauge: one JSON document per interval, parsed off the hot path.
      ...(options.registry ? { 'statistics.interval.ms': options.lagIntervalMs ?? 5_000 } : {}),
      ...options.tuning,
    },
    options.kafka.librdkafka,
  )
  const client = new Kafka.KafkaConsumer(rdConfig, {
    'auto.offset.reset': options.fromBeginning === false ? 'latest' : 'earliest',
  })
  client.setDefaultConsumeTimeout(options.fetchWaitMs ?? 100)
  const book = createOffsetBook()
  // Partitions revoked while the current batch runs (eager: all of them), see BatchContext.
  let revokedInBatch: Set<string> | undefined
  let running = false
  let pausedByCaller = false
  let loopDone: Promise<void> = Promise.resolve()
  // node-rdkafka's assignments() builds its array natively on every call (6-8 % of storage's and
  // alerting's CPU when asked once per batch, bench/profiles/README.md). The assignment changes
  // only in a rebalance callback (node-rdkafka assigns right after emitting 'rebalance', in the
  // same callback) or by assign() at start, so it is cached between them; inside the callback,
  // before the assign has happened, it is read afresh.
  let assignmentCache: ReturnType<typeof client.assignments> | undefined
  let rebalancing = false
  let rebalances = 0
  const assignments = (): ReturnType<typeof client.assignments> => {
    if (rebalancing) return client.assignments()
    assignmentCache ??= client.assignments()
    return assignmentCache
  }
  // Partitions a long batch paused (see handleKeepingMembership), for the lag gauge.
  let batchPaused: readonly TopicPartition[] = []
  const lag = options.registry
    ? trackConsumerLag({ ...options, registry: options.registry }, client, book, () =>
        pausedByCaller ? assignments() : batchPaused,
      )
    : undefined

  client.on('event.error', (err) => log.warn({ err }, 'kafka client error'))
  client.on('offset.commit', (err, offsets) => {
    if (err) {
      log.warn({ err }, 'offset commit failed; records after the last commit will be consumed again')
      return
    }
    book.committed(offsets)
  })
  client.on('partition.eof', (eof) => {
    lag?.endReached(eof)
    options.onPartitionEnd?.({ topic: eof.topic, partition: eof.partition, offset: eof.offset })
  })
  client.on('event.stats', (stats: { message: string }) => {
    try {
      lag?.onStats(stats.message)
    } catch (err) {
      log.warn({ err }, 'unreadable librdkafka statistics; consumer lag not updated')
    }
  })
  // Emitted by node-rdkafka before it calls assign/unassign (incremental ones for cooperative).
  client.on('rebalance', (err, assignment) => {
    rebalancing = true
    rebalances++
    assignmentCache = undefined
    // Microtasks run once the native callback has returned, that is after node-rdkafka's assign.
    queueMicrotask(() => {
      rebalancing = false
      assignmentCache = undefined
    })
    const event = err.code === -175 ? 'assigned' : 'revoked'
    if (event === 'revoked') {
      // Revoked partitions go to another member: hand over what this member finished, and
      // never commit them again from here (a batch still running finishes for nothing).
      commitProcessed(assignment, true)
      book.forget(assignment)
      for (const tp of assignment) revokedInBatch?.add(partitionKey(tp.topic, tp.partition))
    }
    // Either way the partition starts over: a revoked one is no longer reported, an assigned one
    // is measured from what librdkafka fetches for it now.
    lag?.forget(assignment)
    const partitions = assignment.map((tp) => partitionKey(tp.topic, tp.partition))
    log.info({ event, partitions }, 'rebalance')
    options.onRebalance?.(
      event,
      assignment.map(({ topic, partition }) => ({ topic, partition })),
    )
  })

  function commitProcessed(partitions: readonly TopicPartition[] | undefined, sync: boolean): void {
    if (options.offsetCommits === 'in-transaction') return
    const offsets = book.uncommitted(partitions)
    if (offsets.length === 0) return
    try {
      if (sync) {
        client.commitSync(offsets)
        book.committed(offsets)
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
        lag?.delivered(messages)
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
  async function handleKeepingMembership(records: KafkaRecord[], revoked: Set<string>): Promise<RdMessage[]> {
    revokedInBatch = revoked
    const batch: BatchContext = {
      revoked: () => records.some((r) => revoked.has(partitionKey(r.topic, r.partition))),
    }
    const handled = options.handler(records, batch).then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, err }),
    )
    const carried: RdMessage[] = []
    const paused: TopicPartition[] = []
    batchPaused = paused
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
        const fresh = assignments().filter((tp) => !paused.some((p) => samePartition(p, tp)))
        if (fresh.length > 0) {
          if (paused.length === 0) log.info('batch still in progress; pausing fetches and polling on')
          client.pause(fresh.map(({ topic, partition }) => ({ topic, partition })))
          paused.push(...fresh.map(({ topic, partition }) => ({ topic, partition })))
        }
        carried.push(...(await fetchBatch()))
      }
    } finally {
      revokedInBatch = undefined
      batchPaused = []
      // Partitions revoked meanwhile are no longer ours to resume; a pause() of the port's own
      // (a caller holding the consumer) outlives the batch.
      const ours = assignments().filter((tp) => paused.some((p) => samePartition(p, tp)))
      if (ours.length > 0 && !pausedByCaller) {
        try {
          client.resume(ours.map(({ topic, partition }) => ({ topic, partition })))
        } catch (err) {
          log.warn({ err }, 'resume after a long batch failed')
        }
      }
    }
  }

  /**
   * Adds what arrives within batchWindowMs of the first record. At partition end a fetch returns
   * at once (EOF events), so the wait between fetches is a short timer, not a spin.
   */
  async function fillBatch(messages: RdMessage[]): Promise<void> {
    const deadline = Date.now() + batchWindowMs
    // A rebalance ends the window: records fetched before it may be fetched again from the
    // committed offset, so the batch stays what one fetch straddling it would have returned.
    const generation = rebalances
    while (running && messages.length < maxBatchSize && rebalances === generation) {
      const left = deadline - Date.now()
      if (left <= 0) return
      await new Promise((resolve) => setTimeout(resolve, Math.min(BATCH_WINDOW_STEP_MS, left)))
      messages.push(...(await fetchBatch(maxBatchSize - messages.length)))
    }
  }

  async function loop(): Promise<void> {
    const carried: RdMessage[] = []
    while (running) {
      const messages = carried.length > 0 ? carried.splice(0, maxBatchSize) : await fetchBatch()
      // A batch fetched while stopping is still handled (and committed) rather than dropped.
      if (messages.length === 0) continue
      if (batchWindowMs > 0) await fillBatch(messages)
      const records = messages.map(toRecord)
      // Only records of partitions this member still holds: a poll that served a rebalance can
      // return records fetched before it (they are fetched again from the committed offset).
      const held = new Set(assignments().map((tp) => partitionKey(tp.topic, tp.partition)))
      const mine = records.filter((r) => held.has(partitionKey(r.topic, r.partition)))
      if (mine.length === 0) continue
      const revokedMeanwhile = new Set<string>()
      try {
        carried.push(...(await handleKeepingMembership(mine, revokedMeanwhile)))
      } catch (err) {
        running = false
        log.error({ err }, 'batch handler failed; stopping without committing the batch')
        options.onFatal?.(err)
        return
      }
      // A partition revoked mid-batch is not committed from here: its new owner (or this member,
      // assigned it again) starts from the last commit.
      book.processed(mine.filter((r) => !revokedMeanwhile.has(partitionKey(r.topic, r.partition))))
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
          assignmentCache = undefined
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
      await options.beforeDisconnect?.().catch((err: unknown) => {
        log.warn(
          { err },
          'last commit before disconnecting failed; the next owner re-reads from the last commit',
        )
      })
      lag?.close()
      await new Promise<void>((resolve) => client.disconnect(() => resolve()))
    },
    pause: () => {
      pausedByCaller = true
      client.pause(assignments())
    },
    resume: () => {
      pausedByCaller = false
      client.resume(assignments())
    },
    assignments: () => assignments().map(({ topic, partition }) => ({ topic, partition })),
    committedOffsets: () => book.committedOffsets(),
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
