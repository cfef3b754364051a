import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// The producer's message.max.bytes is lowered (librdkafka's default is 1 MB) so a payload above
// it is 100 kB: the same failure as a 1.2 MB payload at the defaults, within any MQTT packet limit.
const PRODUCER_MAX_BYTES = 65_536
const PAYLOAD_BYTES = 100_000
const KEEP_BYTES = 1_024

const device = unique('oversized')
let gateway: TestGateway
let tap: Tap

function reading(seq: number): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId: device,
      bootId: 'boot-1',
      seq,
      deviceTsMs: now,
      deviceType: 'wearable',
      samples: [
        { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
      ],
    }),
  )
}

/** The PUBACK, or the reason there was none within the deadline. */
async function acked(client: MqttClient, payload: Buffer, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no PUBACK within ${timeoutMs} ms`), timeoutMs)
  })
  const closed = new Promise<string>((resolve) => client.once('close', () => resolve('connection closed')))
  const puback = client
    .publishAsync(`devices/${device}/telemetry`, payload, { qos: 1 })
    .then(() => 'puback')
    .catch((err: unknown) => `publish failed: ${String(err)}`)
  const outcome = await Promise.race([puback, closed, deadline])
  clearTimeout(timer)
  return outcome
}

beforeAll(async () => {
  gateway = await startTestGateway([{ id: device, type: 'wearable' }], {
    kafka: { ...testKafka, librdkafka: { ...testKafka.librdkafka, 'message.max.bytes': PRODUCER_MAX_BYTES } },
    limits: { maxPayloadBytes: 4_096 },
  })
  tap = await tapChannels(testKafka, [CHANNELS.vitals, CHANNELS.dlq])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

describe('integration > gateway > a payload above the producer maximum (real MQTT client, real Kafka)', () => {
  it('is acknowledged with one truncated DLQ record, and the same connection forwards the next publish', async () => {
    const client = await gateway.connect(device)
    let closes = 0
    client.on('close', () => closes++)
    const big = Buffer.alloc(PAYLOAD_BYTES, 0x5a)
    big.write('fw=4.2.0;', 0)

    expect(await acked(client, big, 10_000)).toBe('puback')
    expect(await acked(client, reading(1), 10_000)).toBe('puback')
    expect(client.connected).toBe(true)
    expect(closes).toBe(0)

    const forwarded = await eventually(() => {
      const records = tap.forKeys([device]).filter((r) => r.topic === CHANNELS.vitals)
      return records.length > 0 ? records : undefined
    }, 10_000)
    const seqs = forwarded.map((r) => {
      const decoded = decodeTelemetry(r.value)
      return decoded.ok ? decoded.value.seq : -1
    })
    expect(seqs).toEqual([1])

    const letters = tap.forKeys([device]).filter((r) => r.topic === CHANNELS.dlq)
    expect(letters).toHaveLength(1) // acknowledged once: never resent, never produced twice
    const [letter] = letters
    expect(letter?.value).toHaveLength(KEEP_BYTES)
    expect(letter?.value.subarray(0, 9).toString()).toBe('fw=4.2.0;')
    expect(letter?.headers[HEADERS.payloadSize]?.toString()).toBe(String(PAYLOAD_BYTES))
    expect(letter?.headers[HEADERS.rejectReason]?.toString()).toBe('oversized')
    expect(letter?.headers[HEADERS.mqttTopic]?.toString()).toBe(`devices/${device}/telemetry`)

    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/pulsewire_gateway_dlq_payloads_truncated_total(\{[^}]*\})? 1\b/)
    expect(metrics).toMatch(/pulsewire_gateway_messages_rejected_total\{reason="oversized"[^}]*\} 1\b/)
  })
})
