import { Registry } from 'prom-client'
import { systemClock } from '../../core/clock.js'
import type { KafkaConsumer } from '../../core/kafka/consumer.js'
import { javaPartition } from '../../core/kafka/murmur2.js'
import type { KafkaProducer } from '../../core/kafka/producer.js'
import type { Component } from '../../core/lifecycle.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { alertingConfigSchema } from '../../processors/alerting/config.js'
import type { RuleSet } from '../../processors/alerting/rules/rule-set.js'
import { ALERTING_INPUT_CHANNELS, createAlertingService } from '../../processors/alerting/service.js'
import { silentLogger, testKafka, unique } from './services.js'
import { envelope, sample, telemetryRecord } from './telemetry-fixtures.js'
import { partitionCounts, waitFor, waitForAssignment, waitForReady } from './wait.js'

export interface TestAlerting {
  groupId: string
  registry: Registry
  httpUrl: string
  consumer(): KafkaConsumer | undefined
  /** pulsewire_alerting_records_total summed over channels, for one outcome (evaluated, duplicate, …). */
  records(outcome: string): Promise<number>
  /**
   * Makes sure the group's "latest" start position is resolved on every vitals partition: a new
   * group looks it up lazily after its assignment, so a record produced in between would be
   * skipped. Produces one reading per partition (keys `<groupId>-warm-<p>`, never a test's
   * devices) and waits until alerting has evaluated them all.
   */
  warmUp(producer: KafkaProducer): Promise<void>
  /** Stops it (idempotent: a test's own stop and its afterAll clean-up may both call it). */
  stop(): Promise<void>
}

export interface TestAlertingOptions {
  ruleSet: RuleSet
  /** Default: a fresh group per call (a restart test passes the same one twice). */
  groupId?: string
  /** Anything else of the alerting config (alarms, maxBatchSize, dedupe, transactionalId …). */
  config?: Record<string, unknown>
  /**
   * 'all' (default): ready once it holds every partition of every input (the group's only
   * member). 'any': once it holds some of each (a member sharing the group).
   */
  assignment?: 'all' | 'any'
  timeoutMs?: number
  /** What a fatal pipeline error does; default: thrown (the test fails). */
  onFatal?: (err: unknown) => void
}

/**
 * The alerting processor in this process, on the local stack's Kafka, from the latest offsets
 * (the shared channels hold every earlier run's records). Resolves once it is ready: its inputs
 * assigned and its /readyz green (the alarm state of the assigned devices restored).
 */
export async function startTestAlerting(options: TestAlertingOptions): Promise<TestAlerting> {
  const groupId = options.groupId ?? unique('it-alerting')
  const timeoutMs = options.timeoutMs ?? 60_000
  const registry = new Registry()
  const service = createAlertingService({
    config: alertingConfigSchema.parse({
      kafka: testKafka,
      groupId,
      fromBeginning: false,
      http: { port: 0 },
      log: { level: 'silent' },
      ...options.config,
    }),
    ruleSet: options.ruleSet,
    logger: silentLogger,
    registry,
    clock: systemClock,
    onFatal:
      options.onFatal ??
      ((err) => {
        throw err
      }),
  })
  const started: Component[] = []
  const stop = async (): Promise<void> => {
    for (const component of started.splice(0).reverse()) await component.stop()
  }
  try {
    for (const component of service.components) {
      await component.start()
      started.push(component)
    }
    // The channels component has created the inputs by now: their partition counts are known.
    const counts = await partitionCounts(testKafka, ALERTING_INPUT_CHANNELS)
    const partitionsOf = (topic: string): number => counts[topic] ?? 0
    const want: Record<string, number | 'any'> = Object.fromEntries(
      ALERTING_INPUT_CHANNELS.map((topic): [string, number | 'any'] => [
        topic,
        options.assignment === 'any' ? 'any' : partitionsOf(topic),
      ]),
    )
    await waitForAssignment(service.consumer, want, {
      timeoutMs,
      what: `alerting ${groupId} to own its inputs`,
    })
    const http = service.components.find((c) => c.name === 'http') as Component & {
      address(): { port: number } | undefined
    }
    const httpUrl = `http://127.0.0.1:${http.address()?.port ?? 0}`
    await waitForReady(httpUrl, { timeoutMs })

    const records = async (outcome: string): Promise<number> => {
      const metric = await registry.getSingleMetric('pulsewire_alerting_records_total')?.get()
      return (metric?.values ?? [])
        .filter((v) => v.labels.outcome === outcome)
        .reduce((n, v) => n + v.value, 0)
    }
    return {
      groupId,
      registry,
      httpUrl,
      consumer: service.consumer,
      records,
      warmUp: (producer) =>
        warmUpAlerting(producer, {
          keyPrefix: `${groupId}-warm`,
          partitions: partitionsOf(CHANNELS.vitals),
          records,
          timeoutMs,
        }),
      stop,
    }
  } catch (err) {
    await stop().catch(() => undefined)
    throw err
  }
}

/**
 * Readiness of a new alerting group's start position (see `TestAlerting.warmUp`), for an
 * instance in this process or its own (`records` then reads its /metrics): rounds of one
 * reading per vitals partition (a new seq each, so never a duplicate) until one round is
 * evaluated whole. A reading that is was produced after its partition's position was resolved;
 * readings produced before are never evaluated at all.
 */
export async function warmUpAlerting(
  producer: KafkaProducer,
  options: {
    keyPrefix: string
    partitions: number
    records: (outcome: string) => Promise<number>
    timeoutMs?: number
  },
): Promise<void> {
  const keys = new Map<number, string>()
  for (let i = 0; keys.size < options.partitions; i++) {
    const key = `${options.keyPrefix}-${i}`
    const p = javaPartition(key, options.partitions)
    if (!keys.has(p)) keys.set(p, key)
  }
  let seq = 0
  await waitFor(
    async () => {
      seq++
      const before = await options.records('evaluated')
      await Promise.all(
        [...keys.values()].map((key) =>
          producer.produce(
            telemetryRecord(envelope(key, seq, Date.now(), [sample('spo2', 97)]), {
              type: 'bedside-monitor',
            }),
          ),
        ),
      )
      return waitFor(async () => (await options.records('evaluated')) - before >= options.partitions, {
        timeoutMs: 2_000,
      }).catch(() => false)
    },
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      what: `alerting to evaluate a reading on each of its ${options.partitions} vitals partitions`,
    },
  )
}

/** pulsewire_alerting_records_total for one outcome, from a running instance's /metrics text. */
export async function recordsFromMetrics(httpUrl: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text()
  return text
    .split('\n')
    .filter(
      (line) => line.startsWith('pulsewire_alerting_records_total{') && line.includes(`outcome="${outcome}"`),
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}
