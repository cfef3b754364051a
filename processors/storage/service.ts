import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Clock } from '../../core/clock.js'
import { createObservabilityServer, type ObservabilityServer } from '../../core/http.js'
import { createInfluxAdapter, type InfluxAdapter } from '../../core/influx/client.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { createKafkaConsumer, type KafkaConsumer, type TopicPartition } from '../../core/kafka/consumer.js'
import { createKafkaProducer, type KafkaProducer } from '../../core/kafka/producer.js'
import type { Component } from '../../core/lifecycle.js'
import { retry } from '../../core/retry.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import type { StorageConfig } from './config.js'
import { createStorageMetrics, type StorageMetrics } from './metrics.js'
import { createStoragePipeline, type StoragePipeline } from './pipeline.js'
import { STORAGE_CHANNELS } from '../../core/influx/layout.js'

export interface StorageDeps {
  config: StorageConfig
  logger: Logger
  registry: Registry
  clock: Clock
  /**
   * Told when a batch fails for a reason retrying cannot fix (a bug): the consumer has stopped
   * without committing it, so the process should exit and be restarted. Logged when absent.
   */
  onFatal?: (err: unknown) => void
  /** Told after each rebalance (tests wait for the first assignment before producing). */
  onRebalance?: (event: 'assigned' | 'revoked', partitions: TopicPartition[]) => void
}

export interface StorageService {
  /** In start order; runService stops them in reverse: consumer (drain), http, producer, setup. */
  components: Component[]
  consumer: KafkaConsumer
  producer: KafkaProducer
  influx: InfluxAdapter
  http: ObservabilityServer
  pipeline: StoragePipeline
  metrics: StorageMetrics
}

const STORAGE_SPECS = CHANNEL_SPECS.filter(
  (spec) => spec.name === CHANNELS.dlq || (STORAGE_CHANNELS as readonly string[]).includes(spec.name),
)

/** Builds the storage processor's components; `processors/main.ts` runs them, tests start them in-process. */
export function createStorageService(deps: StorageDeps): StorageService {
  const { config, logger, clock } = deps
  const log = logger.child({ component: 'storage' })
  const clientId = `${config.kafka.clientId}-storage`
  const metrics = createStorageMetrics(deps.registry)
  const influx = createInfluxAdapter(config.influx)
  const producer = createKafkaProducer({ kafka: config.kafka, clientId, logger, maxInFlight: 1_000 })
  const pipeline = createStoragePipeline({ influx, producer, config, metrics, clock, logger })
  let stopping = false
  const consumer = createKafkaConsumer({
    kafka: config.kafka,
    groupId: config.groupId,
    clientId,
    topics: STORAGE_CHANNELS,
    handler: pipeline.handle,
    logger,
    fromBeginning: config.consumer.fromBeginning,
    maxBatchSize: config.consumer.maxBatchRecords,
    fetchWaitMs: config.consumer.fetchWaitMs,
    onRebalance: deps.onRebalance,
    registry: deps.registry,
    onFatal(err) {
      if (stopping) return // the batch in progress was abandoned on purpose; it will be consumed again
      log.fatal({ err }, 'storage stopped consuming; the failed batch stays uncommitted')
      deps.onFatal?.(err)
    },
  })

  const setup: Component = {
    name: 'storage-setup',
    async start() {
      if (config.channels.ensure) {
        const admin = createKafkaAdmin(config.kafka, `${clientId}-admin`)
        try {
          await admin.ensureTopics(channelTopicSpecs(STORAGE_SPECS, config.kafka.topics), { logger })
        } finally {
          admin.close()
        }
      }
      if (config.ensureBucket) {
        await retry(() => influx.ensureBucket(), {
          attempts: 5,
          initialDelayMs: config.retry.minDelayMs,
          maxDelayMs: config.retry.maxDelayMs,
          clock,
          onRetry: (err, attempt) => log.warn({ err, attempt }, 'InfluxDB not ready; retrying'),
        })
      }
    },
    stop: () => influx.close(),
  }
  const http = createObservabilityServer(config.http, deps.registry, {
    // Generic reasons: /readyz is unauthenticated, so it names no address (issue #10, finding 7).
    influx: async () => ((await influx.ping()) ? undefined : 'not connected'),
    kafka: async () => ((await producer.ping(2_000)) ? undefined : 'not connected'),
  })
  const ingest: Component = {
    name: 'storage-consumer',
    start: () => consumer.start(),
    async stop() {
      stopping = true
      // Stop fetching first, then write the batch in progress at once (no flush timer, no more
      // retries): what is written gets committed, the rest is consumed again by the next member.
      const consumerStopped = consumer.stop()
      await pipeline.close()
      await consumerStopped
    },
  }
  return {
    components: [setup, producer, http, ingest],
    consumer,
    producer,
    influx,
    http,
    pipeline,
    metrics,
  }
}
