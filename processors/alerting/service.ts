import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Clock } from '../../core/clock.js'
import { createObservabilityServer } from '../../core/http.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { createKafkaConsumer, type KafkaConsumer } from '../../core/kafka/consumer.js'
import { createTransactionalProducer } from '../../core/kafka/transactional-producer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Component } from '../../core/lifecycle.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import type { AlertingConfig } from './config.js'
import { createAlertEngine } from './engine/engine.js'
import { createAlertingMetrics } from './metrics.js'
import { createAlertPipeline } from './pipeline.js'
import type { RuleSet } from './rules/rule-set.js'
import { loadStates } from './state-store.js'

export interface AlertingDeps {
  config: AlertingConfig
  ruleSet: RuleSet
  logger: Logger
  registry: Registry
  clock: Clock
  /** Called when the pipeline cannot go on (the process then stops and restarts from committed offsets). */
  onFatal: (err: unknown) => void
}

const ALERT_CHANNELS = new Set<string>([CHANNELS.alertEvents, CHANNELS.alertState])

/** The alerting consumer group: its own lag and failure domain, so storage never delays an alarm. */
export function createAlertingService(deps: AlertingDeps): {
  components: Component[]
  consumer: () => KafkaConsumer | undefined
} {
  const { config, logger, clock } = deps
  const log = logger.child({ component: 'alerting' })
  const metrics = createAlertingMetrics(deps.registry)
  const producer = createTransactionalProducer({
    kafka: config.kafka,
    clientId: `${config.kafka.clientId}-alerting`,
    transactionalId: config.transactionalId ?? `${config.groupId}-${hostname()}`,
    logger,
  })
  let consumer: KafkaConsumer | undefined
  let reloadNeeded = false

  const channels: Component = {
    name: 'alert-channels',
    async start() {
      const admin = createKafkaAdmin(config.kafka, `${config.kafka.clientId}-alerting-admin`)
      try {
        await admin.ensureTopics(
          CHANNEL_SPECS.filter((s) => ALERT_CHANNELS.has(s.name)),
          config.channels.replicationFactor,
        )
      } finally {
        admin.close()
      }
    },
    stop: () => Promise.resolve(),
  }

  const pipelineComponent: Component = {
    name: 'alerting-pipeline',
    async start() {
      const pipeline = createAlertPipeline({
        createEngine: () => createAlertEngine({ ruleSet: deps.ruleSet, clock }),
        commit: (records, offsets) => {
          if (!consumer) return Promise.reject(new Error('alerting consumer not started'))
          return producer.commit(records, offsets, consumer)
        },
        metrics,
        clock,
        logger,
      })
      const handler = async (records: KafkaRecord[]): Promise<void> => {
        if (reloadNeeded) {
          reloadNeeded = false
          pipeline.reset(
            await loadStates(config.kafka, config.groupId, logger),
            consumer?.assignments() ?? [],
          )
        }
        await pipeline.handle(records)
      }
      consumer = createKafkaConsumer({
        kafka: config.kafka,
        groupId: config.groupId,
        clientId: `${config.kafka.clientId}-alerting`,
        topics: [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status],
        maxBatchSize: config.maxBatchSize,
        fromBeginning: config.fromBeginning,
        offsetCommits: 'in-transaction',
        fetchWaitMs: 20,
        logger,
        handler,
        onRebalance: (event) => {
          if (event === 'assigned') reloadNeeded = true
        },
        onFatal: deps.onFatal,
      })
      await consumer.start()
      log.info({ rules: deps.ruleSet.rules.length }, 'alerting started')
    },
    stop: async () => consumer?.stop(),
  }

  const http = createObservabilityServer(config.http, deps.registry, {
    kafka: async () =>
      (await producer.ping(2_000)) ? undefined : `Kafka unreachable at ${config.kafka.brokers}`,
  })
  return { components: [channels, producer, http, pipelineComponent], consumer: () => consumer }
}
