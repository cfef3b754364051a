import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKafkaAdmin, type KafkaAdmin } from '../../../../core/kafka/admin.js'
import { javaPartition } from '../../../../core/kafka/murmur2.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import { createTransactionalProducer } from '../../../../core/kafka/transactional-producer.js'
import { createKafkaConsumer } from '../../../../core/kafka/consumer.js'
import { TELEMETRY_PARTITIONS } from '../../../../core/telemetry/topics.js'
import type { KafkaRecord } from '../../../../core/kafka/records.js'
import { eventually, silentLogger, testKafka, unique } from '../../../helpers/services.js'

// Issue #9 / ADR 0014: our producers place a key where Java's default partitioner does, so
// Kafka Streams, Connect and Java services co-partition with us. librdkafka's default
// (consistent_random, CRC32) puts most of these keys elsewhere.
const KEYS = [
  '21',
  'foobar',
  'abc',
  'a-little-bit-longer-string',
  ...Array.from({ length: 40 }, (_, i) => `ward3-bm-${String(i).padStart(3, '0')}`),
]

let admin: KafkaAdmin
let producer: KafkaProducer
const topics: string[] = []

async function newTopic(partitions: number): Promise<string> {
  const name = unique('it.partitioner')
  await admin.ensureTopics([{ name, partitions, config: {} }])
  topics.push(name)
  return name
}

beforeAll(async () => {
  admin = createKafkaAdmin(testKafka)
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-partitioner', logger: silentLogger })
  await producer.start()
})

afterAll(async () => {
  await producer.stop()
  for (const name of topics) await admin.deleteTopic(name).catch(() => undefined)
  admin.close()
})

describe('integration > core > kafka > partitioner', () => {
  it.each([TELEMETRY_PARTITIONS, 6, 7])(
    'puts every key on toPositive(murmur2(key)) mod %i, as Java does',
    async (partitions) => {
      const topic = await newTopic(partitions)
      const placed = await Promise.all(
        KEYS.map(async (key) => {
          const report = await producer.produce({ topic, key, value: Buffer.from(key) })
          return [key, report.partition] as const
        }),
      )
      expect(Object.fromEntries(placed)).toEqual(
        Object.fromEntries(KEYS.map((key) => [key, javaPartition(key, partitions)])),
      )
    },
  )

  it('places keys the same way from the transactional producer (alerting)', async () => {
    const topic = await newTopic(TELEMETRY_PARTITIONS)
    const seen: KafkaRecord[] = []
    const reader = createKafkaConsumer({
      kafka: testKafka,
      groupId: unique('it-partitioner-reader'),
      clientId: 'it-partitioner-reader',
      topics: [topic],
      logger: silentLogger,
      handler: (batch) => {
        seen.push(...batch)
        return Promise.resolve()
      },
    })
    const tx = createTransactionalProducer({
      kafka: testKafka,
      clientId: 'it-partitioner-tx',
      transactionalId: unique('it-partitioner-tx'),
      logger: silentLogger,
    })
    await tx.start()
    await reader.start()
    try {
      await tx.commit(
        KEYS.map((key) => ({ topic, key, value: Buffer.from(key) })),
        [],
        reader,
      )
      await eventually(() => (seen.length >= KEYS.length ? true : undefined), 30_000)
      expect(Object.fromEntries(seen.map((r) => [r.key, r.partition]))).toEqual(
        Object.fromEntries(KEYS.map((key) => [key, javaPartition(key, TELEMETRY_PARTITIONS)])),
      )
    } finally {
      await reader.stop()
      await tx.stop()
    }
  })
})
