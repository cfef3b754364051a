import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Clock } from '../../core/clock.js'
import { createObservabilityServer } from '../../core/http.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { createKafkaConsumer, type KafkaConsumer } from '../../core/kafka/consumer.js'
import { createTransactionalProducer } from '../../core/kafka/transactional-producer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Component } from '../../core/lifecycle.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import type { AlertingConfig } from './config.js'
import { createAlertEngine } from './engine/engine.js'
import { createAlertingMetrics } from './metrics.js'
import { createAlertPipeline, type AlertPipeline } from './pipeline.js'
import type { RuleSet } from './rules/rule-set.js'
import { loadStates, type StoredState } from './state-store.js'

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
/** What the alerting group consumes (the catalog lists it as their receive operations). */
export const ALERTING_INPUT_CHANNELS = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status] as const

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
  // The alarm state of the assigned devices is read from alerts.state.v1 as soon as partitions
  // are assigned, not when their first record arrives: a restarted instance has it (and /readyz
  // says so) before traffic reaches it, instead of making its first alarms wait for the read.
  // It is put into the engine by the batch handler, so it never lands in the middle of a batch.
  let restore: { states: Promise<Map<string, StoredState>>; loaded: boolean; applied: boolean } | undefined
  const startRestore = (): void => {
    const entry = { states: loadStates(config.kafka, config.groupId, logger), loaded: false, applied: false }
    entry.states.then(
      () => (entry.loaded = true),
      () => undefined, // awaited, and reported, by the batch handler
    )
    restore = entry
  }
  /** Puts the latest assignment's state into the engine before a batch is evaluated. */
  const applyRestore = async (pipeline: AlertPipeline): Promise<void> => {
    while (restore && !restore.applied) {
      const pending = restore
      let states: Map<string, StoredState>
      try {
        states = await pending.states
      } catch (err) {
        if (restore === pending) startRestore() // try again; this batch is not committed
        throw err
      }
      if (restore !== pending) continue // a newer assignment came meanwhile
      pipeline.reset(states, consumer?.assignments() ?? [])
      pending.applied = true
    }
  }

  const channels: Component = {
    name: 'alert-channels',
    async start() {
      const admin = createKafkaAdmin(config.kafka, `${config.kafka.clientId}-alerting-admin`)
      try {
        const channels = CHANNEL_SPECS.filter((s) => ALERT_CHANNELS.has(s.name))
        await admin.ensureTopics(channelTopicSpecs(channels, config.kafka.topics), { logger })
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
        dedupe: config.dedupe,
        metrics,
        clock,
        logger,
      })
      const handler = async (records: KafkaRecord[]): Promise<void> => {
        await applyRestore(pipeline)
        await pipeline.handle(records)
      }
      consumer = createKafkaConsumer({
        kafka: config.kafka,
        groupId: config.groupId,
        clientId: `${config.kafka.clientId}-alerting`,
        topics: [...ALERTING_INPUT_CHANNELS],
        maxBatchSize: config.maxBatchSize,
        fromBeginning: config.fromBeginning,
        offsetCommits: 'in-transaction',
        fetchWaitMs: 20,
        logger,
        handler,
        onRebalance: (event) => {
          if (event === 'assigned') startRestore()
        },
        onFatal: deps.onFatal,
      })
      await consumer.start()
      log.info({ rules: deps.ruleSet.rules.length }, 'alerting started')
    },
    stop: async () => consumer?.stop(),
  }

  const http = createObservabilityServer(config.http, deps.registry, {
    alarmState: () =>
      restore && !restore.loaded
        ? 'restoring the alarm state of the assigned devices from alerts.state.v1'
        : undefined,
    kafka: async () => ((await producer.ping(2_000)) ? undefined : 'not connected'), // no address: /readyz is unauthenticated
  })
  return { components: [channels, producer, http, pipelineComponent], consumer: () => consumer }
}
