// Issue #10, finding 7: a fatal librdkafka error left /readyz green while every publish failed.
// A real fatal error on a real broker: with enable.gapless.guarantee, a record the broker refuses
// for good (MESSAGE_TOO_LARGE: the status channel is set to 1 KiB, the producer allows 1 MB) raises
// ERR__GAPLESS_GUARANTEE as a fatal error, as a fenced idempotent producer would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { createTopicConfigClient } from '../../../core/kafka/topic-configs.js'
import { RECREATING } from '../../../core/kafka/recovering-producer.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { privateKafka } from '../../helpers/private-kafka.js'
import { eventually, unique } from '../../helpers/services.js'

const broker = privateKafka('it-fatal-kafka', 19_492)
beforeAll(() => broker.start(), 180_000)
afterAll(() => broker.destroy(), 60_000)

describe('integration > gateway > producer fatal error', () => {
  it('is not ready while the producer is recreated, acknowledges nothing it lost, then serves again', async () => {
    const id = unique('fatal')
    const gateway = await startTestGateway([{ id, type: 'bedside-monitor' }], {
      kafka: broker.kafka,
      producer: {
        librdkafka: { 'enable.gapless.guarantee': true },
        recreate: { attempts: 5, initialDelayMs: 1_500, maxDelayMs: 5_000 },
      },
    })
    const readyz = `${gateway.httpUrl}/readyz`
    try {
      const configs = createTopicConfigClient(broker.kafka, 'it-fatal')
      await configs.set(CHANNELS.status, { 'max.message.bytes': '1024' })
      // The alter is applied through the metadata log, not before its answer: on a loaded machine a
      // record produced at once could still pass under the old limit, and no fatal error follows.
      // A broker a moment old may not know the topic the gateway just created yet (error 3,
      // UNKNOWN_TOPIC_OR_PARTITION): asked again until it does.
      await eventually(async () => {
        const read = await configs.describe(CHANNELS.status, ['max.message.bytes']).catch(() => undefined)
        return read?.get('max.message.bytes')?.value === '1024' ? true : undefined
      }, 20_000)
      const device = await gateway.connect(id)
      expect((await fetch(readyz)).status).toBe(200)
      let acked = false
      // Incompressible: lz4 would shrink a constant buffer under the topic's limit.
      device.publish(`devices/${id}/status`, randomBytes(4_096), { qos: 1 }, (err) => {
        if (!err) acked = true
      })
      const notReady = await eventually(async () => {
        const res = await fetch(readyz)
        return res.status === 503 ? await res.text() : undefined
      }, 20_000)
      expect(JSON.parse(notReady)).toEqual({ status: 'not-ready', reasons: { kafka: RECREATING } })
      await eventually(async () => ((await fetch(readyz)).status === 200 ? true : undefined), 30_000)
      const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
      expect(metrics).toMatch(
        /pulsewire_gateway_producer_recoveries_total\{[^}]*outcome="recreated"[^}]*\} 1/,
      )
      expect(acked).toBe(false) // failed with the old producer: no PUBACK, the device resends it

      // The new producer delivers: a small status gets its PUBACK (on a new connection: the
      // gateway closes one whose publish it could not forward, so the device resends).
      const again = await gateway.connect(id)
      await again.publishAsync(`devices/${id}/status`, Buffer.from('{"battery":80}'), { qos: 1 })

      // With the broker gone, /readyz says so without naming it.
      await broker.stop()
      const down = await eventually(async () => {
        const res = await fetch(readyz)
        return res.status === 503 ? await res.text() : undefined
      }, 30_000)
      expect(JSON.parse(down)).toEqual({ status: 'not-ready', reasons: { kafka: 'not connected' } })
      expect(down).not.toContain('19492')
      expect(down).not.toContain('127.0.0.1')
    } finally {
      await gateway.stop()
    }
  }, 120_000)
})
