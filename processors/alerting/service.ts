import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Clock } from '../../core/clock.js'
import { createObservabilityServer } from '../../core/http.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { PipelineError } from '../../core/errors.js'
import { channelTopicSpecs, copartitionProblem } from '../../core/kafka/topic-specs.js'
import { createKafkaConsumer, type BatchContext, type KafkaConsumer } from '../../core/kafka/consumer.js'
import { createTransactionalProducer } from '../../core/kafka/transactional-producer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Component } from '../../core/lifecycle.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import { alarmPolicy, type AlertingConfig } from './config.js'
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

/** How long a graceful stop waits for the last state writes (a transaction to Kafka). */
const FLUSH_ON_STOP_MS = 5_000
const withinMs = (ms: number, work: Promise<void>): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms)
    work.then(resolve, reject).finally(() => clearTimeout(timer))
  })

const ALERT_CHANNELS = new Set<string>([CHANNELS.alertEvents, CHANNELS.alertState, CHANNELS.alertCommands])
/** What the alerting group consumes (the catalog lists it as their receive operations). */
export const ALERTING_INPUT_CHANNELS = [
  CHANNELS.vitals,
  CHANNELS.environment,
  CHANNELS.status,
  CHANNELS.alertCommands,
] as const
const INPUTS = new Set<string>(ALERTING_INPUT_CHANNELS)

/** The alerting consumer group: its own lag and failure domain, so storage never delays an alarm. */
export function createAlertingService(deps: AlertingDeps): {
  components: Component[]
  consumer: () => KafkaConsumer | undefined
} {
  const { config, logger, clock } = deps
  const log = logger.child({ component: 'alerting' })
  const metrics = createAlertingMetrics(deps.registry)
  // Unique per instance, so two instances on one host never fence each other (issue #9).
  // Consumed offsets are committed with the group's metadata (KIP-447), so a zombie is fenced
  // by its group generation, not by sharing an id with its successor (ADR 0014).
  const transactionalId =
    config.transactionalId ?? `${config.groupId}-${hostname()}-${config.instanceId ?? process.pid}`
  const producer = createTransactionalProducer({
    kafka: config.kafka,
    clientId: `${config.kafka.clientId}-alerting`,
    transactionalId,
    logger,
  })
  let consumer: KafkaConsumer | undefined
  // Ready only once the group has given this member its partitions (possibly none): before
  // that, records produced now may not be evaluated by anyone yet.
  let joined = false
  // The alarm state of the assigned devices is read from alerts.state.v1 as soon as partitions
  // are assigned, not when their first record arrives: a restarted instance has it (and /readyz
  // says so) before traffic reaches it, instead of making its first alarms wait for the read.
  // It is put into the engine by the batch handler, so it never lands in the middle of a batch.
  let restore:
    | {
        states: Promise<Map<string, StoredState>>
        loaded: boolean
        applied: boolean
        startedMs: number
        stop: AbortController
      }
    | undefined
  /**
   * A new read for the latest assignment; a read still running for an older one is stopped, so
   * a burst of rebalances does not leave several full reads of the channel competing for CPU.
   * `read: false` when nothing stays assigned (an eager revocation): an empty state then, at once.
   */
  const startRestore = (read = true): void => {
    restore?.stop.abort()
    const stop = new AbortController()
    const entry = {
      states: read
        ? loadStates(config.kafka, config.groupId, logger, stop.signal)
        : Promise.resolve(new Map<string, StoredState>()),
      loaded: false,
      applied: false,
      startedMs: clock.now(),
      stop,
    }
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
        if (restore !== pending) continue // stopped for a newer assignment
        startRestore() // try again; this batch is not committed
        throw err
      }
      if (restore !== pending) continue // a newer assignment came meanwhile
      const assigned = consumer?.assignments() ?? []
      pipeline.reset(states, assigned)
      pending.applied = true
      // From the rebalance to the first evaluation: what a take-over costs besides the session timeout.
      log.info(
        { states: states.size, partitions: assigned.length, ms: clock.now() - pending.startedMs },
        'alarm state restored; evaluating',
      )
    }
  }

  const channels: Component = {
    name: 'alert-channels',
    async start() {
      const admin = createKafkaAdmin(config.kafka, `${config.kafka.clientId}-alerting-admin`)
      try {
        // The inputs too: created co-partitioned whoever starts first (ADR 0014).
        const channels = CHANNEL_SPECS.filter((s) => ALERT_CHANNELS.has(s.name) || INPUTS.has(s.name))
        await admin.ensureTopics(channelTopicSpecs(channels, config.kafka.topics), { logger })
        const problem = copartitionProblem(await admin.listTopics(), ALERTING_INPUT_CHANNELS)
        if (problem) {
          throw new PipelineError(
            'KAFKA_NOT_COPARTITIONED',
            `alerting inputs are not co-partitioned: ${problem}`,
            { context: { channels: ALERTING_INPUT_CHANNELS } },
          )
        }
      } finally {
        admin.close()
      }
    },
    stop: () => Promise.resolve(),
  }

  // Batches and escalation ticks share one transactional producer: one transaction at a time.
  let queue: Promise<void> = Promise.resolve()
  const serially = (work: () => Promise<void>): Promise<void> => {
    const run = queue.then(work)
    queue = run.catch(() => undefined)
    return run
  }
  const ticker = new AbortController()
  let ticking: Promise<void> = Promise.resolve()
  /** Escalations fall due on the clock, also when no record arrives (a ward where nothing changes). */
  const tickLoop = async (pipeline: AlertPipeline): Promise<void> => {
    while (!ticker.signal.aborted) {
      await clock.sleep(config.alarms.escalationCheckMs, ticker.signal).catch(() => undefined)
      if (ticker.signal.aborted) return
      if (restore && !restore.loaded) continue // the state is still being read; the next tick will see it
      try {
        await serially(async () => {
          await applyRestore(pipeline)
          await pipeline.tick()
        })
      } catch (err) {
        deps.onFatal(err)
        return
      }
    }
  }

  const pipelineComponent: Component = {
    name: 'alerting-pipeline',
    async start() {
      const policy = alarmPolicy(config.alarms)
      let batch: BatchContext | undefined
      const pipeline = createAlertPipeline({
        createEngine: () =>
          createAlertEngine({
            ruleSet: deps.ruleSet,
            clock,
            policy,
            maxDeviceSkewMs: config.time.maxDeviceSkewMs,
          }),
        commit: async (records, offsets) => {
          if (!consumer) throw new Error('alerting consumer not started')
          // Partitions taken away mid-batch (eager rebalance): the batch is not ours to commit.
          // It is dropped whole, and the reassignment (to us or another member) consumes it
          // again from the committed offsets into state restored from alerts.state.v1.
          if (batch?.revoked()) return dropRevoked(records.length)
          try {
            await producer.commit(records, offsets, consumer)
          } catch (err) {
            // Fenced by the new group generation (KIP-447): aborted, so nothing was written.
            if (batch?.revoked()) return dropRevoked(records.length)
            throw err
          }
        },
        dedupe: config.dedupe,
        time: { ...config.time, groupId: config.groupId },
        stateWrites: config.state,
        metrics,
        clock,
        logger,
      })
      const handler = (records: KafkaRecord[], context?: BatchContext): Promise<void> =>
        serially(async () => {
          batch = context
          await applyRestore(pipeline)
          await pipeline.handle(records)
        })
      consumer = createKafkaConsumer({
        kafka: config.kafka,
        groupId: config.groupId,
        clientId: `${config.kafka.clientId}-alerting`,
        topics: [...ALERTING_INPUT_CHANNELS],
        maxBatchSize: config.maxBatchSize,
        fromBeginning: config.fromBeginning,
        offsetCommits: 'in-transaction',
        // Eager range: one member holds partition i of every input, so all of a device's
        // records (co-partitioned channels) reach the member that owns its state (ADR 0014).
        assignmentStrategy: 'range',
        fetchWaitMs: 20,
        batchWindowMs: config.batchWindowMs,
        registry: deps.registry,
        logger,
        handler,
        // After a revocation too: the devices of revoked partitions must leave the engine before a
        // tick could escalate them here while their new owner escalates them as well. An eager
        // revocation leaves nothing assigned, so that needs no read of alerts.state.v1: reading
        // it there too made every member read the whole channel twice per rebalance, both reads
        // in the take-over time after a member loss (fault row 5, docs/operations.md).
        onRebalance: (event, partitions) => {
          if (event === 'assigned') joined = true
          if (event === 'assigned') return startRestore()
          if (ticker.signal.aborted) return
          const revoked = new Set(partitions.map((tp) => `${tp.topic}/${tp.partition}`))
          const kept = (consumer?.assignments() ?? []).filter(
            (tp) => !revoked.has(`${tp.topic}/${tp.partition}`),
          )
          startRestore(kept.length > 0)
        },
        onFatal: deps.onFatal,
        // A graceful stop writes what is dirty and commits to where it has read, so the next
        // owner of these partitions re-reads nothing (a crash re-reads at most state.maxDirtyMs).
        // Not after a rebalance not yet applied: those devices may be another member's by now.
        // Bounded: with Kafka unreachable the stop goes on, and the next owner re-reads instead.
        beforeDisconnect: () =>
          withinMs(
            FLUSH_ON_STOP_MS,
            serially(() => (restore && !restore.applied ? Promise.resolve() : pipeline.flush())),
          ),
      })
      await consumer.start()
      ticking = tickLoop(pipeline)
      log.info({ rules: deps.ruleSet.rules.length, transactionalId }, 'alerting started')
    },
    stop: async () => {
      ticker.abort()
      await ticking
      await consumer?.stop()
    },
  }

  function dropRevoked(records: number): void {
    log.warn(
      { records },
      'partitions revoked mid-batch; dropping its output, the new owner consumes it again',
    )
  }

  const http = createObservabilityServer(config.http, deps.registry, {
    assignment: () => (joined ? undefined : 'waiting for the consumer group to assign partitions'),
    alarmState: () =>
      restore && !restore.loaded
        ? 'restoring the alarm state of the assigned devices from alerts.state.v1'
        : undefined,
    kafka: async () => ((await producer.ping(2_000)) ? undefined : 'not connected'), // no address: /readyz is unauthenticated
  })
  return { components: [channels, producer, http, pipelineComponent], consumer: () => consumer }
}
