import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry, type TelemetryEnvelope } from '../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { repoRoot } from '../../helpers/cli.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

const run = unique('fw')
const monitor = `${run}-bm`
const sensor = `${run}-env`
const other = `${run}-other`
const revoked = `${run}-revoked`
let gateway: TestGateway
let tap: Tap

function reading(
  deviceId: string,
  seq: number,
  type: TelemetryEnvelope['deviceType'] = 'bedside-monitor',
): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'boot-1',
      seq,
      deviceTsMs: now,
      deviceType: type,
      samples: [
        {
          metric: 'heart_rate',
          value: 60 + (seq % 40),
          ucum: '/min',
          quality: 'valid',
          tsMs: now,
          backfill: false,
        },
      ],
    }),
  )
}

const seqOf = (value: Buffer): number => {
  const decoded = decodeTelemetry(value)
  if (!decoded.ok) throw new Error('undecodable record on a data channel')
  return decoded.value.seq
}

beforeAll(async () => {
  gateway = await startTestGateway([
    { id: monitor, type: 'bedside-monitor', site: 'ward-3' },
    { id: sensor, type: 'environmental-sensor' },
    { id: other, type: 'wearable' },
    { id: revoked, type: 'wearable' },
  ])
  gateway.deviceStore.revoke(revoked)
  tap = await tapChannels(testKafka, [CHANNELS.vitals, CHANNELS.environment, CHANNELS.dlq, CHANNELS.status])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

describe('integration > gateway > forwarding (real aedes, real Kafka)', () => {
  it('forwards every acknowledged publish to its channel, key = device id, in per-device order', async () => {
    const client = await gateway.connect(monitor)
    for (let seq = 1; seq <= 200; seq++) {
      await client.publishAsync(`devices/${monitor}/telemetry`, reading(monitor, seq), { qos: 1 })
    }
    // PUBACK means "in Kafka": the records are there as soon as the last ack came back.
    await eventually(
      () =>
        tap.forKeys([monitor]).filter((r) => r.topic === CHANNELS.vitals).length >= 200 ? true : undefined,
      10_000,
    )
    const records = tap.forKeys([monitor]).filter((r) => r.topic === CHANNELS.vitals)
    expect(records.map((r) => seqOf(r.value))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(new Set(records.map((r) => r.partition)).size).toBe(1)
    const headers = records[0]!.headers
    expect(headers[HEADERS.deviceType]?.toString()).toBe('bedside-monitor')
    expect(headers[HEADERS.site]?.toString()).toBe('ward-3')
    expect(Number(headers[HEADERS.gatewayRxTs]?.toString())).toBeGreaterThan(Date.now() - 60_000)
    const lifecycle = tap.forKeys([monitor]).filter((r) => r.topic === CHANNELS.status)
    expect(lifecycle.map((r) => r.headers[HEADERS.lifecycle]?.toString())).toContain('connected')
  })

  it('accepts a payload from mosquitto_pub encoded by protoc, and routes a sensor to the environment channel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-interop-'))
    const now = Date.now()
    const text = `device_id: "${sensor}" boot_id: "b" seq: 7 device_ts_ms: ${now} device_type: DEVICE_TYPE_ENVIRONMENTAL_SENSOR
      samples { metric: METRIC_AMBIENT_TEMPERATURE value: 21.5 ucum: "Cel" quality: QUALITY_VALID ts_ms: ${now} }`
    const encoded = spawnSync(
      'protoc',
      [
        `-I${join(repoRoot, 'proto')}`,
        '--encode=pulsewire.telemetry.v1.Telemetry',
        'pulsewire/telemetry/v1/telemetry.proto',
      ],
      { input: text },
    )
    expect(encoded.status).toBe(0)
    writeFileSync(join(dir, 'payload.bin'), encoded.stdout)
    // Asynchronously: the gateway runs in this process and must keep serving while mosquitto_pub waits for its PUBACK.
    const pub = await promisify(execFile)('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(gateway.port), '-V', 'mqttv311', '-q', '1', '-d'],
      ...['-i', sensor, '-u', sensor, '-P', gateway.secrets.get(sensor)!],
      ...['-t', `devices/${sensor}/telemetry`, '-f', join(dir, 'payload.bin')],
    ])
    expect(pub.stdout).toContain('received PUBACK')
    const record = await eventually(
      () => tap.forKeys([sensor]).find((r) => r.topic === CHANNELS.environment),
      10_000,
    )
    expect(record.value.equals(encoded.stdout)).toBe(true)
    expect(decodeTelemetry(record.value)).toMatchObject({
      ok: true,
      value: { seq: 7, samples: [{ metric: 'ambient_temperature', value: 21.5 }] },
    })
  })

  it('refuses unknown devices, wrong secrets, revoked devices and a client id that is not the device', async () => {
    const refused = (deviceId: string, password?: string, username = deviceId) =>
      gateway.connect(deviceId, { password, username }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      )
    expect(await refused(`${run}-stranger`, 'x')).toBe(5)
    // Was 4 until issue #10 (finding 9): a wrong secret now gets the unknown id's code.
    expect(await refused(monitor, 'not-the-secret')).toBe(5)
    expect(await refused(revoked, gateway.secrets.get(revoked))).toBe(5)
    expect(await refused(monitor, gateway.secrets.get(monitor), other)).toBe(2)
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/pulsewire_gateway_connect_attempts_total\{outcome="bad_secret"[^}]*\} 1/)
  })

  it('refuses cross-device publishes (closing the connection) and subscriptions to other devices’ topics', async () => {
    const client = await gateway.connect(other)
    // mqtt.js rejects a SUBACK that refuses any filter; the packet still lists every return code.
    const suback = await client
      .subscribeAsync([`alerts/${monitor}`, `alerts/${other}`, 'devices/#'], { qos: 1 })
      .catch((err: { packet?: { granted?: number[] } }) => err.packet)
    expect((suback as { granted?: number[] } | undefined)?.granted).toEqual([128, 1, 128])
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.publish(`devices/${monitor}/telemetry`, reading(monitor, 9_999), { qos: 1 })
    await closed
    // Absence is the subject: a record wrongly produced would reach the tap within this time.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(tap.forKeys([monitor]).some((r) => r.topic === CHANNELS.vitals && seqOf(r.value) === 9_999)).toBe(
      false,
    )
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/pulsewire_gateway_acl_denials_total\{action="publish"[^}]*\} 1/)
    expect(metrics).toMatch(/pulsewire_gateway_acl_denials_total\{action="subscribe"[^}]*\} 2/)
  })

  it('sends malformed, truncated, oversized and wrong-device payloads to the DLQ, acks them, and keeps good data flowing', async () => {
    const device = `${run}-mixed`
    const mixed = await startTestGateway([{ id: device, type: 'wearable' }], {
      limits: { maxPayloadBytes: 4_096 },
    })
    let client: MqttClient | undefined
    try {
      client = await mixed.connect(device)
      const good = (seq: number) => reading(device, seq, 'wearable')
      const sends: Array<[string, Buffer]> = [
        ['good', good(1)],
        ['malformed', Buffer.from('{"hr": 72, "this": "is json, not protobuf"}')],
        ['good', good(2)],
        ['truncated', good(3).subarray(0, 20)],
        ['good', good(3)],
        ['oversized', Buffer.alloc(5_000, 7)],
        ['good', good(4)],
        ['wrong-device', reading(monitor, 1)],
        ['good', good(5)],
      ]
      for (const [, payload] of sends)
        await client.publishAsync(`devices/${device}/telemetry`, payload, { qos: 1 })
      expect(client.connected).toBe(true)
      await eventually(
        () =>
          tap.forKeys([device]).filter((r) => r.topic !== CHANNELS.status).length >= 9 ? true : undefined,
        10_000,
      )
      const data = tap.forKeys([device]).filter((r) => r.topic === CHANNELS.vitals)
      expect(data.map((r) => seqOf(r.value))).toEqual([1, 2, 3, 4, 5])
      const dlq = tap.forKeys([device]).filter((r) => r.topic === CHANNELS.dlq)
      expect(dlq.map((r) => r.headers[HEADERS.rejectReason]?.toString())).toEqual([
        'malformed',
        'malformed',
        'oversized',
        'device_mismatch',
      ])
      expect(dlq[0]!.value.toString()).toContain('is json, not protobuf')
      expect(dlq[0]!.headers[HEADERS.mqttTopic]?.toString()).toBe(`devices/${device}/telemetry`)
    } finally {
      await mixed.stop()
    }
  })

  it('reports ready while Kafka answers (the fault test covers an outage)', async () => {
    const ready = await fetch(`${gateway.httpUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })
  })
})
