import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TopicPartition } from '../../../../core/kafka/consumer.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import { privateInflux } from '../../../helpers/private-influx.js'
import { eventually, silentLogger, testKafka, unique } from '../../../helpers/services.js'
import { primePartitions, sleep, startStorage, startStream, testDatabase } from './harness.js'

// librdkafka's floor: max.poll.interval.ms must be >= session.timeout.ms (10 s in core/kafka/consumer.ts).
const MAX_POLL_INTERVAL_MS = 10_000
const OUTAGE_MS = 2.5 * MAX_POLL_INTERVAL_MS

const outage = privateInflux('it-private-influx-poll', 18_296)
let producer: KafkaProducer

beforeAll(async () => {
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-storage-poll', logger: silentLogger })
  await producer.start()
  await outage.start()
})

afterAll(async () => {
  await producer.stop()
  await outage.destroy()
})

describe('integration > processors > storage > an InfluxDB outage longer than max.poll.interval.ms', () => {
  it('keeps its partitions (no rebalance), then stores every point exactly once', async () => {
    const db = await testDatabase(outage.influx, 'it_storage_poll')
    const rebalances: Array<{ event: 'assigned' | 'revoked'; partitions: TopicPartition[] }> = []
    const running = await startStorage({
      groupId: unique('it-storage-poll'),
      influx: db.config,
      retry: { minDelayMs: 200, maxDelayMs: 2_000 },
      librdkafka: { 'max.poll.interval.ms': MAX_POLL_INTERVAL_MS },
      onRebalance: (event, partitions) => rebalances.push({ event, partitions }),
    })
    try {
      await primePartitions(running, producer)
      const initial = rebalances.length
      expect(rebalances.every((r) => r.event === 'assigned')).toBe(true)
      const assigned = running.service.consumer.assignments().length
      expect(assigned).toBeGreaterThan(0)

      const devices = Array.from({ length: 4 }, (_, i) => `${unique('poll')}-${i}`)
      const stream = startStream(producer, devices, 50)
      await eventually(
        async () => ((await db.countsPerDevice()).size === devices.length ? true : undefined),
        10_000,
      )

      await outage.stop()
      const stoppedAt = Date.now()
      // The outage itself is the condition under test: storage must outlast it without polling records.
      await sleep(OUTAGE_MS)
      const committedDuringOutage = new Map(running.service.consumer.committedOffsets())
      expect(running.service.consumer.assignments()).toHaveLength(assigned)
      await outage.start()
      const outageMs = Date.now() - stoppedAt
      expect(outageMs).toBeGreaterThan(2 * MAX_POLL_INTERVAL_MS)

      await stream.stop()
      await eventually(async () => {
        const counts = await db.countsPerDevice()
        return devices.every((d) => counts.get(d) === stream.produced.get(d)?.length) ? true : undefined
      }, 60_000)
      const counts = await db.countsPerDevice()
      for (const device of devices) expect(counts.get(device)).toBe(new Set(stream.produced.get(device)).size)
      // Offsets moved on after the outage: the batch held during it was committed, not abandoned.
      await eventually(() => {
        const now = running.service.consumer.committedOffsets()
        return [...now].some(([tp, offset]) => offset > (committedDuringOutage.get(tp) ?? -1))
          ? true
          : undefined
      }, 10_000)
      // Not evicted: no revocation and no assignment after the initial one.
      expect(rebalances.slice(initial)).toEqual([])
      expect(running.service.consumer.assignments()).toHaveLength(assigned)
      console.info('storage poll interval', {
        maxPollIntervalMs: MAX_POLL_INTERVAL_MS,
        outageMs,
        produced: stream.total(),
        rebalances: rebalances.length,
        retries: await running.metric('pulsewire_storage_write_retries_total'),
      })
    } finally {
      await running.stop()
    }
  })
})
