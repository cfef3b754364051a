import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaAdmin, type KafkaAdmin } from '../../core/kafka/admin.js'
import { createKafkaConsumer, type KafkaConsumer } from '../../core/kafka/consumer.js'
import { createKafkaProducer, type KafkaProducer } from '../../core/kafka/producer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { eventually, silentLogger, testKafka, unique } from '../helpers/services.js'

let admin: KafkaAdmin
let producer: KafkaProducer
const topics: string[] = []

async function newTopic(partitions = 3): Promise<string> {
  const name = unique('it.kafka')
  await admin.ensureTopics([{ name, partitions, config: {} }])
  topics.push(name)
  return name
}

function collector(): { records: KafkaRecord[]; handler: (batch: KafkaRecord[]) => Promise<void> } {
  const records: KafkaRecord[] = []
  return {
    records,
    handler: (batch) => {
      records.push(...batch)
      return Promise.resolve()
    },
  }
}

function consumerFor(
  topic: string,
  groupId: string,
  handler: (batch: KafkaRecord[]) => Promise<void>,
): KafkaConsumer {
  return createKafkaConsumer({
    kafka: testKafka,
    groupId,
    clientId: groupId,
    topics: [topic],
    handler,
    logger: silentLogger,
  })
}

beforeAll(async () => {
  admin = createKafkaAdmin(testKafka)
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-producer', logger: silentLogger })
  await producer.start()
})

afterAll(async () => {
  await producer.stop()
  for (const topic of topics) await admin.deleteTopic(topic).catch(() => undefined)
  admin.close()
})

describe('integration > kafka (real broker)', () => {
  it('creates topics idempotently with their partition counts', async () => {
    const name = unique('it.kafka.admin')
    topics.push(name)
    expect(
      (await admin.ensureTopics([{ name, partitions: 4, config: { 'retention.ms': '3600000' } }])).created,
    ).toEqual([name])
    expect((await admin.ensureTopics([{ name, partitions: 4, config: {} }])).created).toEqual([])
    const info = await eventually(async () => (await admin.listTopics()).find((t) => t.name === name))
    expect(info.partitions).toBe(4)
  })

  it('resolves each produce with its delivery report, keeps per-key order across partitions', async () => {
    const topic = await newTopic(3)
    const keys = Array.from({ length: 10 }, (_, i) => `device-${i}`)
    const sends: Array<Promise<{ partition: number; offset: number }>> = []
    for (let seq = 0; seq < 50; seq++) {
      for (const key of keys) {
        sends.push(
          producer.produce({
            topic,
            key,
            value: Buffer.from(JSON.stringify({ key, seq })),
            headers: { seq: String(seq) },
          }),
        )
      }
    }
    const reports = await Promise.all(sends)
    expect(reports.every((r) => r.offset >= 0 && r.partition >= 0 && r.partition < 3)).toBe(true)
    expect(new Set(reports.map((r) => r.partition)).size).toBeGreaterThan(1)

    const { records, handler } = collector()
    const consumer = consumerFor(topic, unique('it-order'), handler)
    await consumer.start()
    await eventually(() => (records.length >= 500 ? true : undefined))
    await consumer.stop()

    expect(records).toHaveLength(500)
    for (const key of keys) {
      const mine = records.filter((r) => r.key === key)
      const seqs = mine.map((r) => (JSON.parse(r.value.toString()) as { seq: number }).seq)
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1)
      expect(mine.map((r) => r.headers.seq?.toString())).toEqual(seqs.map(String))
    }
  })

  it('a batch window collects records that arrive within it into one batch', async () => {
    const topic = await newTopic(1)
    const batches: number[] = []
    let assigned = false
    const consumer = createKafkaConsumer({
      kafka: testKafka,
      groupId: unique('it-window'),
      clientId: 'it-window',
      topics: [topic],
      fetchWaitMs: 10,
      batchWindowMs: 1_000,
      handler: (batch) => {
        batches.push(batch.length)
        return Promise.resolve()
      },
      onRebalance: (event) => {
        if (event === 'assigned') assigned = true
      },
      logger: silentLogger,
    })
    await consumer.start()
    await eventually(() => (assigned ? true : undefined))
    // Five records 60 ms apart (≈ 300 ms in all, inside the 1 s window): without the window each
    // is its own batch, since a fetch waits only 10 ms for the next record.
    for (let i = 0; i < 5; i++) {
      await producer.produce({ topic, key: 'k', value: Buffer.from(String(i)) })
      await new Promise((resolve) => setTimeout(resolve, 60))
    }
    await eventually(() => (batches.reduce((a, b) => a + b, 0) >= 5 ? true : undefined))
    await consumer.stop()
    expect(batches).toEqual([5])
  })

  it('a restarted consumer resumes from its committed offset', async () => {
    const topic = await newTopic(2)
    const groupId = unique('it-resume')
    const produceRange = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: to - from }, (_, i) =>
          producer.produce({ topic, key: `k${(from + i) % 4}`, value: Buffer.from(String(from + i)) }),
        ),
      )
    await produceRange(0, 40)

    const first = collector()
    let consumer = consumerFor(topic, groupId, first.handler)
    await consumer.start()
    await eventually(() => (first.records.length >= 40 ? true : undefined))
    await consumer.stop()

    await produceRange(40, 70)
    const second = collector()
    consumer = consumerFor(topic, groupId, second.handler)
    await consumer.start()
    await eventually(() => (second.records.length >= 30 ? true : undefined))
    await new Promise((resolve) => setTimeout(resolve, 1_000)) // nothing old may trickle in
    await consumer.stop()

    expect(first.records.map((r) => Number(r.value.toString())).sort((a, b) => a - b)).toEqual(range(0, 40))
    expect(second.records.map((r) => Number(r.value.toString())).sort((a, b) => a - b)).toEqual(range(40, 70))
  })

  it('does not commit a batch whose handler failed: it is consumed again after a restart', async () => {
    const topic = await newTopic(1)
    const groupId = unique('it-fail')
    await Promise.all(
      range(0, 5).map((i) => producer.produce({ topic, key: 'k', value: Buffer.from(String(i)) })),
    )
    let fatal: unknown
    const failing = createKafkaConsumer({
      kafka: testKafka,
      groupId,
      clientId: groupId,
      topics: [topic],
      logger: silentLogger,
      handler: () => Promise.reject(new Error('sink down')),
      onFatal: (err) => (fatal = err),
    })
    await failing.start()
    await eventually(() => (fatal ? true : undefined))
    await failing.stop()

    const retry = collector()
    const consumer = consumerFor(topic, groupId, retry.handler)
    await consumer.start()
    await eventually(() => (retry.records.length >= 5 ? true : undefined))
    await consumer.stop()
    expect(retry.records.map((r) => r.value.toString())).toEqual(['0', '1', '2', '3', '4'])
  })

  it('holds callers back at maxInFlight instead of failing them (bounded queue)', async () => {
    const topic = await newTopic(1)
    const bounded = createKafkaProducer({
      kafka: testKafka,
      clientId: 'it-bounded',
      logger: silentLogger,
      maxInFlight: 4,
    })
    await bounded.start()
    let peak = 0
    const sends = range(0, 200).map(async (i) => {
      const report = bounded.produce({ topic, key: 'k', value: Buffer.from(String(i)) })
      peak = Math.max(peak, bounded.inFlight())
      return report
    })
    const reports = await Promise.all(sends)
    await bounded.stop()
    expect(peak).toBeLessThanOrEqual(4)
    expect(reports.map((r) => r.offset)).toEqual(range(0, 200))
  })

  it('rejects the delivery promise when a record cannot be delivered (unknown topic)', async () => {
    const short = createKafkaProducer({
      kafka: testKafka,
      clientId: 'it-undeliverable',
      logger: silentLogger,
      tuning: { 'message.timeout.ms': 3_000, 'topic.metadata.propagation.max.ms': 1_000 },
    })
    await short.start()
    const err = await short
      .produce({ topic: unique('it.missing'), key: 'k', value: Buffer.from('x') })
      .catch((e: unknown) => e)
    await short.stop()
    expect(err).toMatchObject({ code: 'KAFKA_DELIVERY_FAILED', retriable: true })
  })

  it('reports a broker that cannot be reached with a stable code', async () => {
    const nowhere = createKafkaProducer({
      kafka: { ...testKafka, brokers: '127.0.0.1:1' },
      clientId: 'it-nowhere',
      logger: silentLogger,
      connectTimeoutMs: 2_000,
    })
    await expect(nowhere.start()).rejects.toMatchObject({ code: 'KAFKA_CONNECT_FAILED' })
  })
})

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}
