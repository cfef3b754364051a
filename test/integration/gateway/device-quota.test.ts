import { once } from 'node:events'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGoodDevices } from '../../../bench/fuzz/good-devices.js'
import { encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { closesWithin, connectPacket, fixedHeader, rawSocket } from '../../helpers/raw-mqtt.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

// Issue #10, finding 9: one device can starve the others. Per-device token buckets
// (limits.devicePublish) hold a flooding device's publishes, and with them its socket's reads;
// one packing more than maxThrottleMs of debt into one read is disconnected; a device sending
// poison in a loop gets limits.dlqQuota DLQ records, the rest are acknowledged and counted.
// Real gateway in this process, real sockets and MQTT clients, real Kafka.

const RATE = 50
const DLQ_BURST = 5
const run = unique('quota')
const good = Array.from({ length: 50 }, (_, i) => `${run}-good-${i}`)
const flooder = `${run}-flood`
const blaster = `${run}-blast`
const poison = `${run}-poison`
let gateway: TestGateway
let tap: Tap

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{${labels}`) || (labels === '' && l.startsWith(`${name} `)))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0)
}

function publishPacket(topic: string, payload: Buffer): Buffer {
  const name = Buffer.from(topic)
  const body = Buffer.concat([Buffer.from([name.length >> 8, name.length & 0xff]), name, payload])
  return Buffer.concat([fixedHeader(0x30, body.length), body]) // QoS 0: no packet id
}

beforeAll(async () => {
  const ids = [...good, flooder, blaster, poison]
  gateway = await startTestGateway(
    ids.map((id) => ({ id, type: 'bedside-monitor' as const })),
    {
      limits: {
        devicePublish: {
          messagesPerSecond: RATE,
          messagesBurst: RATE,
          bytesPerSecond: 1 << 20,
          bytesBurst: 1 << 20,
          maxThrottleMs: 2_000,
        },
        dlqQuota: { perMinute: 1, burst: DLQ_BURST },
      },
    },
  )
  tap = await tapChannels(testKafka, [CHANNELS.dlq])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

describe('integration > gateway > per-device quota (real gateway, MQTT clients, Kafka)', () => {
  it('throttles one flooder, disconnects another, and 50 devices beside them lose nothing', async () => {
    const identity = (id: string) => ({ id, secret: gateway.secrets.get(id) ?? '' })
    const devices = await startGoodDevices(gateway.mqttUrl, good.map(identity), {
      intervalMs: 200,
      ackTimeoutMs: 10_000,
    })

    // The flooder: a real MQTT client with 20 QoS 1 publishes always in flight, for 3 s.
    const flood: MqttClient = await gateway.connect(flooder)
    let floodCloses = 0
    flood.on('close', () => floodCloses++)
    const started = Date.now()
    let floodAcks = 0
    await Promise.all(
      Array.from({ length: 20 }, async (_, lane) => {
        for (let seq = lane + 1; Date.now() - started < 3_000; seq += 20) {
          const payload = Buffer.from(encodeTelemetry(vitalsReading(flooder, seq, Date.now())))
          await flood.publishAsync(`devices/${flooder}/telemetry`, payload, { qos: 1 })
          floodAcks++
        }
      }),
    )
    const floodSeconds = (Date.now() - started) / 1000

    // The blaster: 3 000 QoS 0 publishes in one write, 60 s of debt at 50/s: closed.
    const socket = await rawSocket(gateway.port)
    const connack = once(socket, 'data')
    socket.write(connectPacket(blaster, gateway.secrets.get(blaster) ?? ''))
    expect([...((await connack)[0] as Buffer)]).toEqual([0x20, 2, 0, 0])
    const now = Date.now()
    const topic = `devices/${blaster}/telemetry`
    socket.write(
      Buffer.concat(
        Array.from({ length: 3_000 }, (_, i) =>
          publishPacket(topic, Buffer.from(encodeTelemetry(vitalsReading(blaster, i + 1, now)))),
        ),
      ),
    )
    const blasterClosed = await closesWithin(socket, 10_000)

    const report = await devices.stop()
    expect(report.errors).toEqual([])
    expect(report.disconnects).toBe(0)
    expect(report.unacked).toBe(0)
    expect(report.acked).toBe(report.published)
    expect(report.acked).toBeGreaterThan(good.length * 10)

    // Throttled to its bucket (burst + rate × time, a little slack for timer granularity), not cut off.
    expect(floodAcks).toBeLessThanOrEqual(RATE + RATE * floodSeconds + 25)
    expect(floodAcks).toBeGreaterThan(RATE * floodSeconds * 0.5)
    expect(floodCloses).toBe(0)
    expect(flood.connected).toBe(true)
    expect(await metric('pulsewire_gateway_publishes_throttled_total')).toBeGreaterThan(0)

    expect(blasterClosed).toBe(true)
    expect(await metric('pulsewire_gateway_quota_disconnects_total', 'reason="messages_rate"')).toBe(1)
    console.log(
      JSON.stringify({ floodAcks, floodSeconds, good: { ...report, errors: report.errors.length } }),
    )
  })

  it('gives a poison loop its DLQ quota, then acknowledges, counts and drops the rest', async () => {
    const client = await gateway.connect(poison)
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])
    for (let i = 0; i < 40; i++) await client.publishAsync(`devices/${poison}/telemetry`, garbage, { qos: 1 })
    // Every PUBACK came after its DLQ record's delivery report, so the counts are final now.
    expect(await metric('pulsewire_gateway_messages_rejected_total', 'reason="malformed"')).toBe(40)
    expect(await metric('pulsewire_gateway_dlq_dropped_total', 'reason="malformed"')).toBe(40 - DLQ_BURST)
    expect(
      await metric(
        'pulsewire_gateway_records_produced_total',
        `channel="${CHANNELS.dlq}",outcome="delivered"`,
      ),
    ).toBe(DLQ_BURST)
    const letters = await eventually(() => {
      const found = tap.forKeys([poison])
      return found.length >= DLQ_BURST ? found : undefined
    }, 15_000)
    expect(letters).toHaveLength(DLQ_BURST)
    // The device is not punished beyond its DLQ records: a good reading still goes through.
    const reading = Buffer.from(encodeTelemetry(vitalsReading(poison, 1, Date.now())))
    await client.publishAsync(`devices/${poison}/telemetry`, reading, { qos: 1 })
    expect(client.connected).toBe(true)
  })
})
