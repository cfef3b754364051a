import { performance } from 'node:perf_hooks'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createObservabilityServer, type ObservabilityServer } from '../../../../core/http.js'
import { createKafkaAdmin, type KafkaAdmin } from '../../../../core/kafka/admin.js'
import { createKafkaConsumer, type KafkaConsumer } from '../../../../core/kafka/consumer.js'
import { createLagTracker } from '../../../../core/kafka/consumer-lag.js'
import { groupLag } from '../../../../core/kafka/group-lag.js'
import { nativeConsumer } from '../../../../core/kafka/native.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import { Kafka, baseRdConfig } from '../../../../core/kafka/rdkafka.js'
import { runCli } from '../../../helpers/cli.js'
import { silentLogger, testKafka, unique } from '../../../helpers/services.js'
import { waitFor, waitForAssignment } from '../../../helpers/wait.js'

// The consumer-lag gauge of core/kafka/consumer.ts and the group lag of `pulsewire stack status`,
// on the real broker: a group behind by a known number of records reports exactly that, then 0.

const topic = unique('it.lag')
const group = unique('it-lag-group')
let admin: KafkaAdmin
let producer: KafkaProducer
const started: Array<{ stop(): Promise<void> }> = []
/** Lets the held batch finish (also in afterAll, so a failed test still stops its consumer). */
let release = (): void => undefined

/** The lag series of one /metrics page: "partition" → value. */
async function lagSeries(server: ObservabilityServer): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${server.address()?.port}/metrics`)).text()
  const series = new Map<number, number>()
  for (const line of text.split('\n')) {
    if (!line.startsWith('pulsewire_kafka_consumer_lag{')) continue
    const labels: Record<string, string | undefined> = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    )
    if (labels.group === group && labels.topic === topic) {
      series.set(Number(labels.partition), Number(line.slice(line.lastIndexOf(' ') + 1)))
    }
  }
  return series
}

const sameSeries = (want: Record<number, number>) => async (server: ObservabilityServer) => {
  const got = await lagSeries(server)
  const ok =
    got.size === Object.keys(want).length && Object.entries(want).every(([p, v]) => got.get(Number(p)) === v)
  return ok ? got : false
}

async function member(
  gate?: Promise<void>,
): Promise<{ consumer: KafkaConsumer; server: ObservabilityServer }> {
  const registry = new Registry()
  const consumer = createKafkaConsumer({
    kafka: testKafka,
    groupId: group,
    clientId: group,
    topics: [topic],
    handler: async () => {
      await gate
    },
    logger: silentLogger,
    registry,
    lagIntervalMs: 500,
  })
  const server = createObservabilityServer({ host: '127.0.0.1', port: 0 }, registry)
  await server.start()
  await consumer.start()
  started.push(consumer, server)
  return { consumer, server }
}

beforeAll(async () => {
  admin = createKafkaAdmin(testKafka)
  await admin.ensureTopics([{ name: topic, partitions: 2, config: {} }])
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-lag', logger: silentLogger })
  await producer.start()
  for (let i = 0; i < 10; i++) await producer.produce({ topic, partition: 0, value: Buffer.from(`a${i}`) })
  for (let i = 0; i < 4; i++) await producer.produce({ topic, partition: 1, value: Buffer.from(`b${i}`) })
  // The group has read 3 of partition 0 and 1 of partition 1: 7 and 3 behind.
  const client = new Kafka.KafkaConsumer({ ...baseRdConfig(testKafka, group), 'group.id': group }, {})
  await new Promise<void>((resolve, reject) =>
    client.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())),
  )
  client.commitSync([
    { topic, partition: 0, offset: 3 },
    { topic, partition: 1, offset: 1 },
  ])
  await new Promise<void>((resolve) => client.disconnect(() => resolve()))
})

afterAll(async () => {
  release()
  for (const s of started.reverse()) await s.stop().catch(() => undefined)
  await producer?.stop()
  await admin?.deleteTopic(topic).catch(() => undefined)
  admin?.close()
})

describe('integration > core > kafka > consumer lag', () => {
  it('reports the known lag in /metrics and stack status, 0 once caught up, and drops revoked partitions', async () => {
    expect(await groupLag(testKafka, [group], [topic])).toEqual([
      { group, topic, partition: 0, committed: 3, end: 10, lag: 7 },
      { group, topic, partition: 1, committed: 1, end: 4, lag: 3 },
    ])
    const status = runCli(['stack', 'status', '--json', '--lag', '--group', group, '--topic', topic])
    const report = JSON.parse(status.stdout) as { lag: Array<Record<string, unknown>> }
    expect(report.lag.filter((row) => row.group === group)).toEqual([
      { group, topic, partition: 0, committed: 3, end: 10, lag: 7 },
      { group, topic, partition: 1, committed: 1, end: 4, lag: 3 },
    ])
    expect(runCli(['stack', 'status', '--group', group, '--topic', topic]).stdout).toMatch(
      new RegExp(`${group}\\s+${topic.replace(/\./g, '\\.')}\\s+0\\s+3\\s+10\\s+7`),
    )

    const gate = new Promise<void>((resolve) => (release = resolve))
    const a = await member(gate)
    await waitForAssignment(() => a.consumer, { [topic]: 2 })
    // The handler holds its first batch: nothing is finished, the group stands at its commit.
    await waitFor(() => sameSeries({ 0: 7, 1: 3 })(a.server), { what: 'lag 7 and 3 in /metrics' })
    // Still held (over a second, so its partitions are paused and not fetched): records written
    // meanwhile count all the same (the end comes from the leader, not from stale fetch statistics).
    for (let i = 0; i < 5; i++) await producer.produce({ topic, partition: 0, value: Buffer.from(`c${i}`) })
    await waitFor(() => sameSeries({ 0: 12, 1: 3 })(a.server), { what: 'lag 12 while paused' })

    // The cost of one statistics document, as this consumer's librdkafka emits it.
    const native = nativeConsumer(a.consumer)
    const json = await new Promise<string>((resolve) =>
      native?.once('event.stats', (s: { message: string }) => resolve(s.message)),
    )
    const probe = createLagTracker({
      registry: new Registry(),
      groupId: 'cost',
      assignments: () => [],
      processed: () => new Map(),
      paused: () => [],
      queryEnd: () => Promise.resolve(0),
      readCommitted: true,
      fromBeginning: true,
    })
    const t0 = performance.now()
    for (let i = 0; i < 200; i++) probe.onStats(json)
    const perParseMs = (performance.now() - t0) / 200
    probe.close()
    console.info(`librdkafka statistics: ${json.length} bytes, ${perParseMs.toFixed(3)} ms per parse`)
    expect(perParseMs).toBeLessThan(5)

    release()
    await waitFor(() => sameSeries({ 0: 0, 1: 0 })(a.server), { what: 'lag 0 after catching up' })
    await waitFor(
      async () => (await groupLag(testKafka, [group], [topic])).every((row) => row.lag === 0) || undefined,
      { what: 'stack status lag 0 after the commits' },
    )

    // A second member takes one partition (cooperative-sticky): each reports only its own.
    const b = await member()
    await waitFor(
      async () => {
        const [mine, theirs] = [await lagSeries(a.server), await lagSeries(b.server)]
        return mine.size === 1 && theirs.size === 1 && [...mine.keys()][0] !== [...theirs.keys()][0]
      },
      { timeoutMs: 60_000, what: 'each member to report only the partition it owns' },
    )
    const moved = 1 - (a.consumer.assignments()[0]?.partition ?? 0)
    expect([...(await lagSeries(a.server)).keys()]).toEqual([1 - moved])
    await producer.produce({ topic, partition: moved, value: Buffer.from('late') })
    await waitFor(() => sameSeries({ [moved]: 0 })(b.server), { what: 'the new owner to catch up' })
    expect([...(await lagSeries(a.server)).keys()]).toEqual([1 - moved])
  })
})
