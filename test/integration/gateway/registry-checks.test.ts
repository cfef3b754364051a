import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry, type TelemetryEnvelope } from '../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// The live registry on every publish (issue #10, finding 2), on a real gateway and Kafka. The
// gateway here sees the store without its change notifications, so no sweep closes anything: what
// refuses the publish is the check in the broker's publish hook alone.
const run = unique('reg')
const gated = `${run}-gated`
const rotated = `${run}-rotated`
const sensor = `${run}-sensor`
let gateway: TestGateway
let tap: Tap

function reading(deviceId: string, seq: number, deviceType: TelemetryEnvelope['deviceType']): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'b',
      seq,
      deviceTsMs: now,
      deviceType,
      samples: [
        { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
      ],
    }),
  )
}

const seqOf = (value: Buffer): number => {
  const decoded = decodeTelemetry(value)
  return decoded.ok ? decoded.value.seq : -1
}

const closed = (client: MqttClient): Promise<void> =>
  new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()))

beforeAll(async () => {
  gateway = await startTestGateway(
    [
      { id: gated, type: 'wearable' },
      { id: rotated, type: 'wearable' },
      { id: sensor, type: 'environmental-sensor' },
    ],
    {
      directory: (store) => ({
        authenticate: (id, password) => store.authenticate(id, password),
        lookup: (id) => store.lookup(id),
        secretStamp: (id) => store.secretStamp(id),
      }),
    },
  )
  tap = await tapChannels(testKafka, [CHANNELS.vitals, CHANNELS.environment, CHANNELS.dlq])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

const metrics = async (): Promise<string> => (await fetch(`${gateway.httpUrl}/metrics`)).text()

describe('integration > gateway > every publish is checked against the live registry', () => {
  it('refuses (closes) a publish from a device revoked while connected: no PUBACK, nothing in Kafka, counted', async () => {
    const client = await gateway.connect(gated)
    await client.publishAsync(`devices/${gated}/telemetry`, reading(gated, 1, 'wearable'), { qos: 1 })
    gateway.deviceStore.revoke(gated)
    const gone = closed(client)
    let acked = false
    client.publish(`devices/${gated}/telemetry`, reading(gated, 2, 'wearable'), { qos: 1 }, (err) => {
      acked = !err
    })
    await gone
    expect(acked).toBe(false)
    await eventually(() => (tap.forKeys([gated]).length >= 1 ? true : undefined), 10_000)
    // A later record of another device on the same channels shows the tap has read past seq 2.
    const probe = await gateway.connect(rotated)
    await probe.publishAsync(`devices/${rotated}/telemetry`, reading(rotated, 1, 'wearable'), { qos: 1 })
    await eventually(() => (tap.forKeys([rotated]).length >= 1 ? true : undefined), 10_000)
    expect(tap.forKeys([gated]).map((r) => [r.topic, seqOf(r.value)])).toEqual([[CHANNELS.vitals, 1]])
    expect(await metrics()).toMatch(
      /pulsewire_gateway_revoked_publishes_total\{reason="not_enrolled"[^}]*\} 1\b/,
    )
    await probe.endAsync()
  })

  it('refuses a publish on a connection whose secret was rotated since CONNECT', async () => {
    const client = await gateway.connect(rotated)
    gateway.deviceStore.add(rotated, { type: 'wearable', rotate: true })
    const gone = closed(client)
    client.publish(`devices/${rotated}/telemetry`, reading(rotated, 2, 'wearable'), { qos: 1 })
    await gone
    expect(await metrics()).toMatch(
      /pulsewire_gateway_revoked_publishes_total\{reason="secret_rotated"[^}]*\} 1\b/,
    )
  })

  it('takes the channel from the registry: a payload claiming another device type goes to the DLQ', async () => {
    const client = await gateway.connect(sensor)
    await client.publishAsync(`devices/${sensor}/telemetry`, reading(sensor, 1, 'bedside-monitor'), {
      qos: 1,
    })
    await client.publishAsync(`devices/${sensor}/telemetry`, reading(sensor, 2, 'unspecified'), { qos: 1 })
    await eventually(() => (tap.forKeys([sensor]).length >= 2 ? true : undefined), 10_000)
    const records = tap.forKeys([sensor])
    expect(records.map((r) => [r.topic, seqOf(r.value)])).toEqual([
      [CHANNELS.dlq, 1],
      [CHANNELS.environment, 2],
    ])
    expect(records[0]!.headers[HEADERS.rejectReason]?.toString()).toBe('device_type_mismatch')
    expect(records.some((r) => r.topic === CHANNELS.vitals)).toBe(false)
    await client.endAsync()
  })
})
