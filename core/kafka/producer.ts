import type { Logger } from 'pino'
import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import type { Component } from '../lifecycle.js'
import {
  Kafka,
  RD_ERRORS,
  isRdError,
  PRODUCER_TOPIC_CONFIG,
  baseRdConfig,
  withOverrides,
  type RdConfigValue,
} from './rdkafka.js'
import type { DeliveryReport, ProduceRecord } from './records.js'
import { createBrokerLiveness } from './broker-liveness.js'
import { toRdHeaders } from './headers.js'

/** The producing port: every process that writes to a channel depends on this, not on node-rdkafka. */
export interface KafkaProducer extends Component {
  /**
   * Queues a record and resolves with its delivery report once the broker acknowledged it
   * (acks=all). Waits, rather than failing, while `maxInFlight` records are unacknowledged:
   * the caller feels back-pressure instead of losing data.
   */
  produce(record: ProduceRecord, options?: ProduceOptions): Promise<DeliveryReport>
  /** Records handed over and not yet acknowledged by the broker. */
  inFlight(): number
  /** Records (and their value bytes) waiting for an in-flight slot, not yet handed to librdkafka. */
  waiting(): { records: number; bytes: number }
  /**
   * Resolves true when fresh statistics show a majority of the brokers connected, else when a
   * metadata request succeeds within the timeout.
   */
  ping(timeoutMs: number): Promise<boolean>
  /** Waits for every queued record's delivery report. */
  flush(timeoutMs: number): Promise<void>
}

export interface ProduceOptions {
  /**
   * Aborted while the record still waits for capacity: it leaves the queue unproduced and the
   * call fails with KAFKA_PRODUCE_ABORTED (a gateway aborts when the device's connection closed,
   * since it was never acknowledged and the device sends it again). Once handed to librdkafka a
   * record cannot be taken back; the signal is then ignored.
   */
  signal?: AbortSignal
}

/** How many records, and how many value bytes, may wait for capacity; beyond it produce() refuses. */
export interface WaitingLimits {
  maxRecords: number
  maxBytes: number
}

export interface ProducerOptions {
  kafka: KafkaConfig
  clientId: string
  logger: Logger
  /** Upper bound of unacknowledged records held by this producer. */
  maxInFlight?: number
  /**
   * Bounds the records waiting for an in-flight slot (issue #10, finding 6): beyond it a record
   * is refused at once with KAFKA_BACKLOG_FULL. Absent: unbounded (processors, whose input is
   * bounded by their consumer batch).
   */
  maxWaiting?: WaitingLimits
  /** How often delivery reports are polled while records are in flight. */
  pollIntervalMs?: number
  /** How long start() waits for the first metadata answer. */
  connectTimeoutMs?: number
  /** Process-specific librdkafka tuning, applied before the user's `kafka.librdkafka`. */
  tuning?: Record<string, RdConfigValue>
  /**
   * Told once when librdkafka raises a fatal error (idempotence fenced, out-of-order sequence,
   * gapless guarantee broken): this client will never deliver again and must be replaced
   * (core/kafka/recovering-producer.ts). Pending and later records fail with KAFKA_PRODUCER_FATAL.
   */
  onFatal?: (err: PipelineError) => void
}

interface Pending {
  resolve: (report: DeliveryReport) => void
  reject: (err: PipelineError) => void
}

interface Waiter {
  grant: () => void
  bytes: number
  /** Set when it left the queue without a slot (aborted); releaseCapacity skips it. */
  gone: boolean
}

function aborted(): PipelineError {
  return new PipelineError('KAFKA_PRODUCE_ABORTED', 'record left the queue unproduced: aborted', {
    retriable: true,
  })
}

const STATS_INTERVAL_MS = 1_000

/** Idempotent, acks=all producer over node-rdkafka with delivery reports as promises. */
export function createKafkaProducer(options: ProducerOptions): KafkaProducer {
  const log = options.logger.child({ component: 'kafka.producer' })
  const maxInFlight = options.maxInFlight ?? 10_000
  const pollIntervalMs = options.pollIntervalMs ?? 2
  const rdConfig = withOverrides(
    {
      ...baseRdConfig(options.kafka, options.clientId),
      // The delivery promise (architecture.md §2): no loss, no reordering, no producer duplicates.
      'enable.idempotence': true,
      acks: 'all',
      'compression.type': 'lz4',
      'linger.ms': 5,
      // librdkafka's own queue stays above ours, so its "Queue full" is a rare safety net.
      'queue.buffering.max.messages': Math.max(100_000, maxInFlight * 2),
      dr_cb: true,
      // Broker connection states for readiness (broker-liveness.ts); delivered on poll, i.e.
      // while records are in flight, which is when a frozen broker matters.
      'statistics.interval.ms': STATS_INTERVAL_MS,
      ...options.tuning,
    },
    options.kafka.librdkafka,
  )
  const client = new Kafka.Producer(rdConfig, { ...PRODUCER_TOPIC_CONFIG })
  const pending = new Map<number, Pending>()
  const capacityWaiters: Waiter[] = []
  const waiting = { records: 0, bytes: 0 }
  let nextOpaque = 0
  let granted = 0
  let pollTimer: NodeJS.Timeout | undefined
  let connected = false
  let stopped = false
  let fatal: PipelineError | undefined
  const liveness = createBrokerLiveness({ now: Date.now, staleMs: 3 * STATS_INTERVAL_MS })
  client.on('event.stats', (stats: { message: string }) => liveness.update(stats.message))

  // node-rdkafka hands error events over as a bare message (no code, no isFatal flag), and
  // librdkafka words every fatal error "Fatal error: <cause>: <reason>" (rd_kafka_set_fatal_error);
  // records failed by it carry ERR__FATAL (-150), which is checked too.
  // A function, not the variable: TypeScript keeps `fatal` narrowed across an await otherwise.
  const fatalError = (): PipelineError | undefined => fatal

  function raiseFatal(cause: unknown): void {
    if (fatal) return
    const message = cause instanceof Error ? cause.message : String(cause)
    fatal = new PipelineError('KAFKA_PRODUCER_FATAL', `producer fatal error: ${message}`, {
      cause,
      retriable: true,
    })
    log.error({ err: cause, inFlight: pending.size }, 'kafka producer fatal error; it cannot deliver again')
    for (const [id, entry] of pending) {
      pending.delete(id)
      entry.reject(fatal)
    }
    releaseCapacity()
    options.onFatal?.(fatal)
  }

  client.on('delivery-report', (err, report) => {
    const id = report.opaque as number
    const entry = pending.get(id)
    if (!entry) return
    // raiseFatal rejects every pending record, this one included.
    if (err?.code === RD_ERRORS.fatal) return raiseFatal(err)
    pending.delete(id)
    if (err) {
      entry.reject(
        new PipelineError('KAFKA_DELIVERY_FAILED', `delivery failed: ${err.message}`, {
          cause: err,
          retriable: true,
          context: { topic: report.topic, rdCode: err.code },
        }),
      )
    } else {
      entry.resolve({ topic: report.topic, partition: report.partition, offset: report.offset })
    }
    releaseCapacity()
  })
  client.on('event.error', (err) => {
    if (err.code === RD_ERRORS.fatal || /^Fatal error/i.test(err.message)) raiseFatal(err)
    else log.warn({ err }, 'kafka client error')
  })

  function releaseCapacity(): void {
    while (capacityWaiters.length > 0 && pending.size + granted < maxInFlight) {
      const waiter = capacityWaiters.shift()
      if (!waiter || waiter.gone) continue
      leaveQueue(waiter)
      granted++
      waiter.grant()
    }
    if (pending.size === 0 && pollTimer) {
      clearInterval(pollTimer)
      pollTimer = undefined
    }
  }

  function ensurePolling(): void {
    // Poll only while something is in flight: an idle producer costs no CPU.
    pollTimer ??= setInterval(() => client.poll(), pollIntervalMs)
  }

  function leaveQueue(waiter: Waiter): void {
    waiter.gone = true
    waiting.records--
    waiting.bytes -= waiter.bytes
  }

  // FIFO slots: a caller that arrives while others wait queues behind them, so records of one
  // key keep their order even under back-pressure.
  async function acquireSlot(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    if (capacityWaiters.length === 0 && pending.size + granted < maxInFlight) return
    const limits = options.maxWaiting
    if (limits && (waiting.records >= limits.maxRecords || waiting.bytes + bytes > limits.maxBytes)) {
      throw new PipelineError('KAFKA_BACKLOG_FULL', 'too many records waiting for the producer', {
        retriable: true,
        context: { waitingRecords: waiting.records, waitingBytes: waiting.bytes },
      })
    }
    if (signal?.aborted) throw aborted()
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, bytes, gone: false }
      const onAbort = (): void => {
        if (waiter.gone) return
        leaveQueue(waiter)
        reject(aborted())
      }
      waiter.grant = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      waiting.records++
      waiting.bytes += bytes
      capacityWaiters.push(waiter)
    })
    granted--
  }

  async function produce(record: ProduceRecord, produceOptions?: ProduceOptions): Promise<DeliveryReport> {
    if (fatal) throw fatal
    if (!connected)
      throw new PipelineError('KAFKA_NOT_CONNECTED', 'producer is not connected', { retriable: true })
    await acquireSlot(record.value.length, produceOptions?.signal)
    const failedWhileWaiting = fatalError()
    if (failedWhileWaiting) {
      releaseCapacity() // the slot was granted but never filled
      throw failedWhileWaiting
    }
    const id = nextOpaque++
    const delivered = new Promise<DeliveryReport>((resolve, reject) => pending.set(id, { resolve, reject }))
    try {
      client.produce(
        record.topic,
        // An explicit partition bypasses the partitioner; it is queued in produce order with
        // the keyed records of that partition (a heartbeat never overtakes them).
        record.partition ?? null,
        record.value,
        record.key,
        record.timestamp ?? null,
        id,
        toRdHeaders(record.headers),
      )
    } catch (err) {
      pending.delete(id)
      releaseCapacity()
      if (isRdError(err) && err.code === RD_ERRORS.fatal) raiseFatal(err)
      const fatalNow = fatalError()
      if (fatalNow) throw fatalNow
      // librdkafka's queue is sized above maxInFlight, so "Queue full" means its byte limit was
      // hit: report it (retriable) rather than retry here, which could reorder a key's records.
      const queueFull = isRdError(err) && err.code === RD_ERRORS.queueFull
      throw new PipelineError(
        queueFull ? 'KAFKA_QUEUE_FULL' : 'KAFKA_PRODUCE_FAILED',
        `produce to ${record.topic} failed`,
        { cause: err, retriable: queueFull, context: { topic: record.topic } },
      )
    }
    ensurePolling()
    return delivered
  }

  return {
    name: `kafka-producer:${options.clientId}`,
    produce,
    inFlight: () => pending.size,
    waiting: () => ({ ...waiting }),
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
          connected = true
          resolve()
        })
      }),
    ping: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        if (!connected || fatal) return resolve(false)
        if (liveness.majorityUp()) return resolve(true)
        client.getMetadata({ timeout: timeoutMs }, (err) => resolve(!err))
      }),
    flush: (timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (!connected) return resolve()
        ensurePolling()
        client.flush(timeoutMs, (err) =>
          err
            ? reject(
                new PipelineError('KAFKA_TIMEOUT', `flush did not finish in ${timeoutMs} ms`, { cause: err }),
              )
            : resolve(),
        )
      }),
    async stop() {
      if (stopped || !connected) return
      stopped = true
      try {
        // A fatal client delivers nothing more: its records were failed already, no flush to wait for.
        if (!fatal) await this.flush(10_000)
      } catch (err) {
        log.error({ err, inFlight: pending.size }, 'records still unacknowledged at stop')
      }
      connected = false
      if (pollTimer) clearInterval(pollTimer)
      await new Promise<void>((resolve) => client.disconnect(() => resolve()))
    },
  }
}
