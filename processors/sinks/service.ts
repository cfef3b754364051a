import { resolve } from 'node:path'
import type { Registry } from 'prom-client'
import type { Clock } from '../../core/clock.js'
import { createObservabilityServer, type ObservabilityServer } from '../../core/http.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { createKafkaConsumer, type KafkaConsumer, type TopicPartition } from '../../core/kafka/consumer.js'
import type { Component } from '../../core/lifecycle.js'
import type { Logger } from '../../core/log.js'
import { CHANNEL_SPECS } from '../../core/telemetry/topics.js'
import type { SinkDefinition, SinksConfig } from './config.js'
import { createDeadLetterFile } from './dead-letters.js'
import { createSinkMetrics, type SinkMetrics } from './metrics.js'
import { replayUntilCommitted } from './restore.js'
import { RunnerStoppedError, createSinkRunner, type SinkRunner } from './runner.js'
import { createSelfWatch } from './self-watch.js'
import { createSelfWatchService } from './self-watch-service.js'

export interface SinksServiceDeps {
  config: SinksConfig
  logger: Logger
  registry: Registry
  clock: Clock
  /** Told when a sink's batch failed for a reason retrying cannot fix (its dead-letter file is unwritable). */
  onFatal?: (err: unknown) => void
  /** Told after each rebalance of a sink's group (tests wait for the assignment before producing). */
  onRebalance?: (sink: string, event: 'assigned' | 'revoked', partitions: TopicPartition[]) => void
}

export interface SinksService {
  /** In start order; runService stops them in reverse: sinks (drain), http, channel setup. */
  components: Component[]
  http: ObservabilityServer
  runners: ReadonlyMap<string, SinkRunner>
  consumers: ReadonlyMap<string, KafkaConsumer>
  metrics: SinkMetrics
}

/**
 * One consumer group per sink (architecture.md §1): a webhook receiver that is down delays only
 * its own sink. Each group commits its offsets only after the runner delivered or dead-lettered
 * the batch (at-least-once; the receiver dedupes on the Idempotency-Key).
 */
export function createSinksService(deps: SinksServiceDeps): SinksService {
  const { config, logger, clock } = deps
  const metrics = createSinkMetrics(deps.registry)
  const runners = new Map<string, SinkRunner>()
  const consumers = new Map<string, KafkaConsumer>()
  const phase = new Map<string, string | undefined>()
  const watching = config.selfWatch.enabled && config.sinks.length > 1
  const watch = createSelfWatch(
    config.selfWatch,
    config.sinks.map((s) => s.name),
    clock,
  )

  const channelSetup: Component = {
    name: 'alert-channel',
    async start() {
      // Sinks may start before alerting ever ran: the standard channel is created as alerting would.
      const spec = CHANNEL_SPECS.find((s) => s.name === config.channel)
      if (!spec) return
      const admin = createKafkaAdmin(config.kafka, `${config.kafka.clientId}-sinks-admin`)
      try {
        await admin.ensureTopics(channelTopicSpecs([spec], config.kafka.topics), { logger })
      } finally {
        admin.close()
      }
    },
    stop: () => Promise.resolve(),
  }

  function sinkComponent(definition: SinkDefinition): Component {
    const { name, sink } = definition
    const sinkLogger = logger.child({ sink: name })
    const log = sinkLogger.child({ component: 'sink', type: definition.type })
    const deadLetters = createDeadLetterFile(definition.deadLetterFile, name)
    const runner = createSinkRunner({
      name,
      sink,
      policy: definition.delivery,
      deadLetters,
      metrics,
      clock,
      logger,
      recentKeys: definition.recentKeys,
      filter: definition.filter,
      signals: watching ? watch.signals(name) : undefined,
    })
    runners.set(name, runner)
    phase.set(name, 'not started')
    let stopping = false
    const consumer = createKafkaConsumer({
      kafka: config.kafka,
      groupId: definition.groupId,
      clientId: `${config.kafka.clientId}-sink-${name}`,
      topics: [config.channel],
      handler: (records) => runner.handle(records),
      logger: sinkLogger,
      fromBeginning: config.fromBeginning,
      maxBatchSize: definition.batchSize,
      fetchWaitMs: 50,
      registry: deps.registry,
      tuning: { 'max.poll.interval.ms': maxPollIntervalMs(definition) },
      onRebalance: (event, partitions) => deps.onRebalance?.(name, event, partitions),
      onFatal(err) {
        if (stopping || err instanceof RunnerStoppedError) return // redelivered after the restart
        log.fatal({ err }, 'sink stopped consuming; the failed batch stays uncommitted')
        deps.onFatal?.(err)
      },
    })
    consumers.set(name, consumer)
    return {
      name: `sink:${name}`,
      async start() {
        await sink.start?.()
        if (sink.restore) {
          phase.set(name, 'rebuilding its state from the alert channel')
          const replayed = await replayUntilCommitted({
            kafka: config.kafka,
            channel: config.channel,
            groupId: definition.groupId,
            fromBeginning: config.fromBeginning,
            logger: sinkLogger,
            onRecord: (record) => runner.restore(record),
          })
          log.info({ replayed }, 'state rebuilt from the alert channel')
        }
        await consumer.start()
        phase.set(name, undefined)
        log.info({ groupId: definition.groupId, channel: config.channel }, 'sink started')
      },
      async stop() {
        stopping = true
        runner.stop()
        await consumer.stop()
        await sink.stop?.()
        await deadLetters.close()
      },
    }
  }

  const sinkComponents = config.sinks.map(sinkComponent)
  // With one sink there is no other to carry its alarm: /readyz and the metrics are all there is.
  const selfWatch = watching
    ? [
        createSelfWatchService({
          config: {
            ...config.selfWatch,
            stateFile: resolve(config.selfWatch.stateFile ?? `${config.deadLetterDir}/self-watch.json`),
          },
          watch,
          runners,
          metrics,
          clock,
          logger,
        }),
      ]
    : []
  const readiness = Object.fromEntries(
    config.sinks.map(({ name }) => [`sink:${name}`, () => phase.get(name) ?? runners.get(name)?.health()]),
  )
  const http = createObservabilityServer(config.http, deps.registry, readiness)
  return {
    components: [channelSetup, http, ...selfWatch, ...sinkComponents],
    http,
    runners,
    consumers,
    metrics,
  }
}

/**
 * librdkafka drops a member from its group when it does not fetch for max.poll.interval.ms (5 min
 * by default). A sink retrying a receiver that is down is busy, not stuck: the limit covers a whole
 * batch failing every attempt, so the group never rebalances under it and redelivers the batch.
 * A crashed process is still detected within the session timeout (heartbeats run on their own thread).
 */
export function maxPollIntervalMs(definition: Pick<SinkDefinition, 'batchSize' | 'delivery'>): number {
  const { attempts, timeoutMs, maxDelayMs } = definition.delivery
  const worstPerTransition = attempts * timeoutMs + (attempts - 1) * maxDelayMs
  return Math.min(86_400_000, Math.max(300_000, definition.batchSize * worstPerTransition + 60_000))
}
