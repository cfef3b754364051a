import type { Logger } from 'pino'
import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import type { Component } from '../lifecycle.js'
import type { KafkaConsumer, TopicPartition } from './consumer.js'
import { createBrokerLiveness } from './broker-liveness.js'
import { toRdHeaders } from './headers.js'
import { nativeConsumer } from './native.js'
import { Kafka, PRODUCER_TOPIC_CONFIG, baseRdConfig, withOverrides, type RdConfigValue } from './rdkafka.js'
import type { OutgoingRecord } from './records.js'

export interface TransactionalProducer extends Component {
  /**
   * Produces the records and commits the consumer's offsets in one Kafka transaction: either
   * all of it becomes visible to read_committed readers (librdkafka's default) or none of it.
   */
  commit(
    records: readonly OutgoingRecord[],
    offsets: ReadonlyArray<TopicPartition & { offset: number }>,
    /** The consumer whose offsets are sent; only needed when there are offsets (a tool producing records alone has none). */
    consumer?: KafkaConsumer,
  ): Promise<void>
  /**
   * True when fresh statistics show a majority of the brokers connected (broker-liveness.ts), else
   * when a metadata request succeeds within the timeout: one frozen broker, which a metadata
   * request may be sent to, does not make alerting unready while the others serve (fault row 2).
   */
  ping(timeoutMs: number): Promise<boolean>
}

/** Statistics for readiness, served by a poll of their own (a transactional producer has no delivery reports to poll for). */
const STATS_INTERVAL_MS = 1_000

export interface TransactionalProducerOptions {
  kafka: KafkaConfig
  clientId: string
  /**
   * Stable across restarts of the same instance: the restarted producer fences its killed
   * predecessor and aborts its open transaction at once (instead of after the timeout).
   */
  transactionalId: string
  logger: Logger
  tuning?: Record<string, RdConfigValue>
}

const call = (what: string, fn: (cb: (err: unknown) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => {
    fn((err) =>
      err
        ? reject(
            new PipelineError('KAFKA_TRANSACTION_FAILED', `${what} failed`, { cause: err, retriable: true }),
          )
        : resolve(),
    )
  })

/** Exactly-once consume → produce: the read offsets and the produced records commit together. */
export function createTransactionalProducer(options: TransactionalProducerOptions): TransactionalProducer {
  const log = options.logger.child({ component: 'kafka.transactional-producer' })
  const client = new Kafka.Producer(
    withOverrides(
      {
        ...baseRdConfig(options.kafka, options.clientId),
        'transactional.id': options.transactionalId,
        'enable.idempotence': true,
        acks: 'all',
        'linger.ms': 2,
        // A killed instance that is not restarted blocks read_committed readers for at most this long.
        'transaction.timeout.ms': 10_000,
        'statistics.interval.ms': STATS_INTERVAL_MS,
        ...options.tuning,
      },
      options.kafka.librdkafka,
    ),
    { ...PRODUCER_TOPIC_CONFIG },
  )
  client.on('event.error', (err) => log.warn({ err }, 'kafka client error'))
  const liveness = createBrokerLiveness({ now: Date.now, staleMs: 3 * STATS_INTERVAL_MS })
  client.on('event.stats', (stats: { message: string }) => liveness.update(stats.message))
  let connected = false

  return {
    name: `kafka-transactional-producer:${options.clientId}`,
    async start() {
      await new Promise<void>((resolve, reject) => {
        client.connect({ timeout: 10_000 }, (err) =>
          err
            ? reject(
                new PipelineError('KAFKA_CONNECT_FAILED', `cannot reach Kafka at ${options.kafka.brokers}`, {
                  cause: err,
                  retriable: true,
                }),
              )
            : resolve(),
        )
      })
      connected = true
      client.setPollInterval(STATS_INTERVAL_MS)
      await call('initTransactions', (cb) => client.initTransactions(30_000, cb))
    },
    async commit(records, offsets, consumer) {
      const native = consumer && nativeConsumer(consumer)
      if (!native && offsets.length > 0)
        throw new PipelineError('KAFKA_TRANSACTION_FAILED', 'consumer is not a core/kafka consumer')
      await call('beginTransaction', (cb) => client.beginTransaction(cb))
      try {
        for (const r of records) {
          client.produce(
            r.topic,
            r.partition ?? null,
            r.value,
            r.key,
            r.timestamp ?? null,
            undefined,
            toRdHeaders(r.headers),
          )
        }
        if (native && offsets.length > 0) {
          await call('sendOffsetsToTransaction', (cb) =>
            client.sendOffsetsToTransaction(
              offsets.map((o) => ({ ...o })),
              native,
              10_000,
              cb,
            ),
          )
        }
        // Commit flushes every record of the transaction and fails if any of them failed.
        await call('commitTransaction', (cb) => client.commitTransaction(30_000, cb))
      } catch (err) {
        await call('abortTransaction', (cb) => client.abortTransaction(30_000, cb)).catch(
          (abortErr: unknown) =>
            log.error({ err: abortErr }, 'abort failed; the transaction times out instead'),
        )
        throw err
      }
    },
    ping: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        if (!connected) return resolve(false)
        if (liveness.majorityUp()) return resolve(true)
        client.getMetadata({ timeout: timeoutMs }, (err) => resolve(!err))
      }),
    async stop() {
      if (!connected) return
      connected = false
      client.setPollInterval(0)
      await new Promise<void>((resolve) => client.disconnect(() => resolve()))
    },
  }
}
