import { Registry } from 'prom-client'
import { systemClock } from '../../../../core/clock.js'
import type { InfluxConfig } from '../../../../core/config/shared.js'
import { createInfluxAdapter } from '../../../../core/influx/client.js'
import { committedOffsets, createKafkaAdmin } from '../../../../core/kafka/admin.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import type { Component } from '../../../../core/lifecycle.js'
import { storageConfigSchema } from '../../../../processors/storage/config.js'
import { STORAGE_CHANNELS } from '../../../../core/influx/layout.js'
import {
  createStorageService,
  type StorageDeps,
  type StorageService,
} from '../../../../processors/storage/service.js'
import { silentLogger, testInflux, testKafka, unique } from '../../../helpers/services.js'
import { envelope, sample, telemetryRecord, vitalsReading } from '../../../helpers/telemetry-fixtures.js'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface RunningStorage {
  service: StorageService
  registry: Registry
  /** The value of a counter or the count of a histogram, summed over the matching label sets. */
  metric(name: string, labels?: Record<string, string>): Promise<number>
  /** A histogram's count, mean and bucket upper bounds of p50/p99 (seconds). */
  latency(name: string): Promise<{ count: number; mean: number; p50: number; p99: number }>
  httpUrl(): string
  stop(): Promise<void>
}

/** A real storage service in this process: real Kafka consumer group, real InfluxDB. */
export async function startStorage(options: {
  groupId: string
  influx: InfluxConfig
  retry?: { minDelayMs: number; maxDelayMs: number }
  /** Raw librdkafka properties on top of the test stack's (e.g. a short max.poll.interval.ms). */
  librdkafka?: Record<string, string | number | boolean>
  onRebalance?: StorageDeps['onRebalance']
}): Promise<RunningStorage> {
  const config = storageConfigSchema.parse({
    kafka: { ...testKafka, librdkafka: { ...testKafka.librdkafka, ...options.librdkafka } },
    influx: options.influx,
    groupId: options.groupId,
    // Only records produced by the test: the shared channels hold every earlier run's records.
    consumer: { fromBeginning: false },
    retry: options.retry ?? { minDelayMs: 100, maxDelayMs: 1_000 },
    http: { port: 0 },
    log: { level: 'silent' },
  })
  const registry = new Registry()
  const service = createStorageService({
    config,
    logger: silentLogger,
    registry,
    clock: systemClock,
    onRebalance: options.onRebalance,
  })
  const started: Component[] = []
  for (const component of service.components) {
    await component.start()
    started.push(component)
  }
  return {
    service,
    registry,
    async metric(name, labels = {}) {
      const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
      const wanted = String(found?.type) === 'histogram' ? `${name}_count` : name
      return (found?.values ?? [])
        .filter((v) => ((v as { metricName?: string }).metricName ?? name) === wanted)
        .filter((v) =>
          Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
        )
        .reduce((sum, v) => sum + v.value, 0)
    },
    async latency(name) {
      const values = (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? []
      const part = (suffix: string) =>
        values.filter((v) => (v as { metricName?: string }).metricName === `${name}_${suffix}`)
      const count = part('count')[0]?.value ?? 0
      const sum = part('sum')[0]?.value ?? 0
      const quantile = (q: number): number =>
        Number(part('bucket').find((b) => b.value >= q * count)?.labels.le ?? Number.POSITIVE_INFINITY)
      return { count, mean: count ? sum / count : 0, p50: quantile(0.5), p99: quantile(0.99) }
    },
    httpUrl: () => `http://127.0.0.1:${service.http.address()?.port ?? 0}`,
    async stop() {
      // Idempotent: a test stops it on purpose, the scope's clean-up again on failure.
      for (const component of started.splice(0).reverse()) await component.stop()
    },
  }
}

/**
 * A new group starts at the end of the channels (`latest`), and a record produced before a
 * partition's position is resolved would be skipped. So, before a test produces, one probe
 * record per partition must have gone through storage (its offset committed): seen by the
 * member in this process, or (a storage process of its own: `{ groupId }`) read from Kafka.
 */
export async function primePartitions(
  storage: RunningStorage | { groupId: string },
  producer: KafkaProducer,
  timeoutMs = 30_000,
): Promise<void> {
  const admin = createKafkaAdmin(testKafka)
  const topics = (await admin.listTopics()).filter((t) =>
    (STORAGE_CHANNELS as readonly string[]).includes(t.name),
  )
  admin.close()
  const pending = new Set(
    topics.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}/${p}`)),
  )
  const keyOf = new Map<string, string>()
  const deadline = Date.now() + timeoutMs
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`partitions never primed: ${[...pending].join(', ')}`)
    const sends: Array<Promise<unknown>> = []
    for (const topic of topics) {
      // Learn a key for every partition from delivery reports, then re-use it.
      const unknown = Array.from({ length: topic.partitions }, (_, p) => `${topic.name}/${p}`).some(
        (tp) => !keyOf.has(tp),
      )
      const keys = unknown
        ? Array.from({ length: topic.partitions * 4 }, () => unique('probe'))
        : [...pending].filter((tp) => tp.startsWith(`${topic.name}/`)).map((tp) => keyOf.get(tp) ?? '')
      for (const key of keys) {
        const record = telemetryRecord(
          envelope(key, 1, Date.now(), [sample('heart_rate', 1)], 'environmental-sensor'),
          {},
          topic.name,
        )
        sends.push(producer.produce(record).then((r) => keyOf.set(`${r.topic}/${r.partition}`, key)))
      }
    }
    await Promise.all(sends)
    await sleep(500) // a poll round: the probes of this round get time to be written and committed
    for (const tp of await committed(storage, topics)) pending.delete(tp)
  }
}

/** The partitions the group has committed an offset on, as `topic/partition`. */
async function committed(
  storage: RunningStorage | { groupId: string },
  topics: ReadonlyArray<{ name: string; partitions: number }>,
): Promise<string[]> {
  if ('service' in storage) return [...storage.service.consumer.committedOffsets().keys()]
  const all = topics.flatMap((t) =>
    Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })),
  )
  return (await committedOffsets(testKafka, storage.groupId, all)).map((tp) => `${tp.topic}/${tp.partition}`)
}

export interface Stream {
  /** Reading times produced so far, per device. */
  produced: Map<string, number[]>
  total(): number
  /** Stops producing and waits for every delivery report. */
  stop(): Promise<void>
}

/** Devices publishing one vitals reading each every `intervalMs`, through the real producer. */
export function startStream(producer: KafkaProducer, devices: readonly string[], intervalMs: number): Stream {
  const produced = new Map<string, number[]>(devices.map((d) => [d, []]))
  const deliveries: Array<Promise<unknown>> = []
  let seq = 0
  let last = 0
  const tick = (): void => {
    seq++
    const ts = Math.max(Date.now(), last + 1)
    last = ts
    for (const device of devices) {
      produced.get(device)?.push(ts)
      deliveries.push(producer.produce(telemetryRecord(vitalsReading(device, seq, ts), { site: 'it-ward' })))
    }
  }
  tick()
  const timer = setInterval(tick, intervalMs)
  return {
    produced,
    total: () => [...produced.values()].reduce((sum, times) => sum + times.length, 0),
    async stop() {
      clearInterval(timer)
      await Promise.all(deliveries)
    },
  }
}

/** A unique database of the given server, created now; `drop()` removes it. */
export async function testDatabase(influx: InfluxConfig, prefix: string) {
  const database = unique(prefix).replaceAll('-', '_')
  const config: InfluxConfig = { ...influx, bucket: `${database}/autogen` }
  const adapter = createInfluxAdapter(config)
  await adapter.ensureBucket()
  return {
    config,
    bucket: config.bucket,
    query: adapter.query.bind(adapter),
    /** heart_rate points per device (probes excluded). */
    async countsPerDevice(measurement = 'vitals', field = 'heart_rate'): Promise<Map<string, number>> {
      const rows = await adapter.query<{ device_id: string; _value: number }>(
        `from(bucket: "${config.bucket}")
          |> range(start: -3h, stop: 1h)
          |> filter(fn: (r) => r._measurement == "${measurement}" and r._field == "${field}")
          |> group(columns: ["device_id"])
          |> count()`,
      )
      return new Map(
        rows.filter((r) => !r.device_id.startsWith('probe-')).map((r) => [r.device_id, r._value]),
      )
    },
    async drop() {
      await fetch(new URL('/query', influx.url), {
        method: 'POST',
        body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
      }).catch(() => undefined)
    },
  }
}

export type TestDatabase = Awaited<ReturnType<typeof testDatabase>>

/** What a test file shares: a producer, and clean-up of the databases and services it made. */
export function testScope(clientId: string) {
  const producer = createKafkaProducer({ kafka: testKafka, clientId, logger: silentLogger })
  const cleanups: Array<() => Promise<void>> = []
  return {
    producer,
    start: () => producer.start(),
    defer: (cleanup: () => Promise<void>) => cleanups.push(cleanup),
    async database(prefix: string, influx: InfluxConfig = testInflux): Promise<TestDatabase> {
      const db = await testDatabase(influx, prefix)
      cleanups.push(() => db.drop())
      return db
    },
    async storage(groupId: string, influx: InfluxConfig): Promise<RunningStorage> {
      const running = await startStorage({ groupId, influx })
      cleanups.push(() => running.stop())
      return running
    },
    async close() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
      await producer.stop()
    },
  }
}
