import { afterAll, describe, expect, it } from 'vitest'
import { readHeartbeat } from '../../../core/telemetry/heartbeat.js'
import { CHANNELS, CHANNEL_SPECS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels } from '../../helpers/kafka-tap.js'
import { privateKafka } from '../../helpers/private-kafka.js'
import { eventually, unique } from '../../helpers/services.js'

// Issue #9: while Kafka is unreachable the heartbeats must not pile up in the producer (one
// undelivered heartbeat per partition at most, the rest skipped and counted), and they resume
// on every partition once it is back.

const TOPICS = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status]
const PARTITIONS = TOPICS.reduce((n, t) => n + (CHANNEL_SPECS.find((s) => s.name === t)?.partitions ?? 0), 0)
const INTERVAL_MS = 200

async function metric(gateway: TestGateway, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const [series = '', value] = line.split(' ')
    if (series.startsWith(`${name}{`) && series.includes(labels)) sum += Number(value)
  }
  return sum
}

const broker = privateKafka('it-heartbeat-kafka', 19_892)
afterAll(() => broker.destroy())

describe('integration > gateway > heartbeats during a Kafka outage', () => {
  it('are skipped while Kafka is down, hold at most one per partition in the producer, and resume after', async () => {
    await broker.start()
    const gatewayId = unique('gw-hb-outage')
    const gateway = await startTestGateway([], {
      kafka: broker.kafka,
      heartbeat: { intervalMs: INTERVAL_MS, gatewayId },
    })
    const sampler = { max: 0, timer: undefined as NodeJS.Timeout | undefined }
    try {
      const delivered = () =>
        metric(gateway, 'pulsewire_gateway_heartbeats_sent_total', 'outcome="delivered"')
      await eventually(async () => ((await delivered()) >= 2 * PARTITIONS ? true : undefined), 30_000)

      await broker.stop()
      const pendingAtStop = await metric(
        gateway,
        'pulsewire_gateway_heartbeats_skipped_total',
        'reason="pending"',
      )
      sampler.timer = setInterval(() => {
        const producer = gateway.service.producer
        sampler.max = Math.max(sampler.max, producer.inFlight() + producer.waiting().records)
      }, 20)
      // 30 intervals with Kafka gone: every partition skips its beat, nothing queues up.
      await eventually(
        async () =>
          (await metric(gateway, 'pulsewire_gateway_heartbeats_skipped_total', 'reason="pending"')) >=
          pendingAtStop + 30 * PARTITIONS
            ? true
            : undefined,
        60_000,
      )
      clearInterval(sampler.timer)
      const deliveredInOutage = await delivered()
      expect(sampler.max).toBeGreaterThan(0)
      expect(sampler.max).toBeLessThanOrEqual(PARTITIONS)
      expect(gateway.service.producer.inFlight()).toBeLessThanOrEqual(PARTITIONS)

      await broker.start()
      const restartedMs = Date.now()
      const tap = await tapChannels(broker.kafka, TOPICS)
      try {
        const resumed = await eventually(() => {
          const seen = new Set(
            tap.records
              .filter((r) => {
                const beat = readHeartbeat(r)
                return beat?.gatewayId === gatewayId && beat.rxMs >= restartedMs
              })
              .map((r) => `${r.topic}/${r.partition}`),
          )
          return seen.size === PARTITIONS ? seen : undefined
        }, 60_000)
        expect(resumed.size).toBe(PARTITIONS)
      } finally {
        await tap.stop()
      }
      expect(await delivered()).toBeGreaterThan(deliveredInOutage)
      // The beats held during the outage were delivered late, not failed.
      expect(await metric(gateway, 'pulsewire_gateway_heartbeats_sent_total', 'outcome="failed"')).toBe(0)
    } finally {
      clearInterval(sampler.timer)
      await gateway.stop()
    }
  })
})
