import mqtt, { type MqttClient } from 'mqtt'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createPeerTarget } from '../../../bench/peer/peer-target.js'
import { createKafkaAdmin } from '../../../core/kafka/admin.js'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { deviceTopic } from '../../../core/telemetry/mqtt-topics.js'
import type { LoadTarget, LoadTargetEndpoints } from '../../../bench/loadtest/target.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

/** A reading's identity in every ledger below: device and reading time (InfluxDB's point identity). */
const readingKey = (deviceId: string, timeMs: number): string => `${deviceId}@${timeMs}`

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function startPeer(
  devices: readonly string[],
  drainTimeoutMs: number,
): Promise<{ target: LoadTarget; endpoints: LoadTargetEndpoints; tap: Tap }> {
  const target = createPeerTarget({ mqttPort: await freePort(), drainTimeoutMs })
  const endpoints = await target.start(devices)
  cleanups.push(() => target.stop())
  cleanups.push(() => dropDatabase(endpoints))
  cleanups.push(async () => {
    const admin = createKafkaAdmin(testKafka, 'it-peer-cleanup')
    for (const topic of endpoints.kafka.topics) await admin.deleteTopic(topic)
    admin.close()
  })
  const tap = await tapChannels(testKafka, endpoints.kafka.topics)
  cleanups.push(() => tap.stop())
  return { target, endpoints, tap }
}

/** Devices as the load generator runs them: one MQTT connection each, QoS 1, own credentials. */
async function connectDevices(endpoints: LoadTargetEndpoints, devices: readonly string[]) {
  const clients = new Map<string, MqttClient>()
  for (const id of devices) {
    const client = await mqtt.connectAsync(endpoints.mqttUrl, {
      clientId: id,
      username: id,
      password: endpoints.credentials?.[id],
      reconnectPeriod: 0,
    })
    clients.set(id, client)
    cleanups.push(() => client.endAsync())
  }
  const published = new Set<string>()
  const base = Date.now() - 60_000
  /** Publishes reading `seq` of a device and resolves on its PUBACK; time = base + seq ms. */
  async function publish(deviceId: string, seq: number): Promise<void> {
    const reading = vitalsReading(deviceId, seq, base + seq)
    await clients
      .get(deviceId)
      ?.publishAsync(deviceTopic(deviceId, 'telemetry'), Buffer.from(encodeTelemetry(reading)), {
        qos: 1,
      })
    published.add(readingKey(deviceId, base + seq))
  }
  return { publish, published }
}

/** Readings in the peer's Kafka topic, by identity (raw payload decoded, key = device id). */
function kafkaReadings(tap: Tap): Set<string> {
  const found = new Set<string>()
  for (const record of tap.records) {
    const decoded = decodeTelemetry(record.value)
    if (!decoded.ok) throw new Error(`undecodable record in the peer topic: ${decoded.error.message}`)
    expect(record.key).toBe(decoded.value.deviceId)
    found.add(readingKey(decoded.value.deviceId, decoded.value.deviceTsMs))
  }
  return found
}

/** Points in the peer's database, by identity: the same InfluxQL the load tester reconciles with. */
async function storedReadings(endpoints: LoadTargetEndpoints): Promise<Set<string>> {
  const { url, database, measurement } = endpoints.influx
  const query = new URLSearchParams({
    db: database,
    epoch: 'ms',
    q: `SELECT "heart_rate", "spo2" FROM "${measurement}" GROUP BY "device_id"`,
  })
  const response = await fetch(`${url}/query?${query.toString()}`)
  const body = (await response.json()) as {
    results: Array<{
      series?: Array<{ tags: { device_id: string }; values: Array<[number, number, number]> }>
    }>
  }
  const stored = new Set<string>()
  for (const series of body.results[0]?.series ?? []) {
    for (const [time, heartRate, spo2] of series.values) {
      expect(heartRate).toBeTypeOf('number')
      expect(spo2).toBeTypeOf('number')
      stored.add(readingKey(series.tags.device_id, time))
    }
  }
  return stored
}

async function dropDatabase(endpoints: LoadTargetEndpoints): Promise<void> {
  const body = new URLSearchParams({ q: `DROP DATABASE "${endpoints.influx.database}"` })
  await fetch(`${endpoints.influx.url}/query`, { method: 'POST', body })
}

const minus = (a: Set<string>, b: Set<string>): string[] => [...a].filter((key) => !b.has(key))

describe('integration > peer > mosquitto + naive bridge (real Mosquitto, Kafka, InfluxDB)', () => {
  it('brings every acked reading to its Kafka topic, and to InfluxDB once stop() closes the WriteApi', async () => {
    const devices = [1, 2, 3, 4].map((n) => unique(`peer-ok${n}`))
    const { target, endpoints, tap } = await startPeer(devices, 30_000)
    expect(endpoints.processes.map((p) => p.name)).toEqual(['mosquitto', 'bridge', 'kafka', 'influxdb'])
    expect(endpoints.alertTopic).toBeUndefined()
    const { publish, published } = await connectDevices(endpoints, devices)

    await Promise.all(
      devices.map(async (id) => {
        for (let seq = 1; seq <= 50; seq++) await publish(id, seq)
      }),
    )
    expect(published.size).toBe(200)
    await eventually(() => (tap.records.length >= 200 ? true : undefined), 20_000)
    expect(kafkaReadings(tap)).toEqual(published)
    expect(tap.records).toHaveLength(200)
    // Default write options: 200 points are below batchSize 1000 and younger than the 60 s
    // flushInterval, so nothing is in InfluxDB yet although Kafka offsets are committed.
    expect((await storedReadings(endpoints)).size).toBe(0)

    await target.stop()
    const stored = await storedReadings(endpoints)
    expect(stored.size).toBe(200)
    expect(stored).toEqual(published)
  })

  it('loses readings when the bridge is SIGKILLed mid-stream: lost = published − stored, exactly', async () => {
    const devices = [1, 2, 3, 4].map((n) => unique(`peer-kill${n}`))
    const { target, endpoints, tap } = await startPeer(devices, 60_000)
    const { publish, published } = await connectDevices(endpoints, devices)
    const bridgeBefore = endpoints.processes.find((p) => p.name === 'bridge')?.pid

    // Each device publishes a reading every 20 ms, acked by Mosquitto, for the whole test.
    let streaming = true
    let next = 0
    const streams = devices.map(async (id) => {
      for (let seq = 1; streaming; seq++) {
        await publish(id, seq)
        next = Math.max(next, seq)
        await new Promise((resolve) => setTimeout(resolve, 20)) // the stream's pace
      }
    })
    // Mid-stream: the bridge has produced (and its consumer committed) a good share of them.
    await eventually(() => (tap.records.length >= 200 ? true : undefined), 20_000)
    // The subject: the crash hits a bridge in full flow, a second more of it.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    await target.crash?.('bridge')
    const bridgeAfter = endpoints.processes.find((p) => p.name === 'bridge')?.pid
    expect(bridgeAfter).not.toBe(bridgeBefore)
    const afterRestart = next
    await eventually(() => (next >= afterRestart + 50 ? true : undefined), 20_000)
    streaming = false
    await Promise.all(streams)

    // The restarted bridge produces again; its consumer joins once Kafka expires the dead member.
    const lastOf = (id: string): number =>
      Math.max(...[...published].filter((k) => k.startsWith(`${id}@`)).map((k) => Number(k.split('@')[1])))
    await eventually(() => {
      const inKafka = kafkaReadings(tap)
      return devices.every((id) => inKafka.has(readingKey(id, lastOf(id)))) ? true : undefined
    }, 20_000)
    await target.stop()

    // Reconciliation, as the load tester does it: every acked reading against the stored ones.
    const inKafka = kafkaReadings(tap)
    const stored = await storedReadings(endpoints)
    const lost = minus(published, stored)
    const lostInsideBridge = minus(inKafka, stored) // in Kafka, offsets committed, died in the WriteApi buffer
    const neverInKafka = minus(published, inKafka) // acked by Mosquitto while the bridge was down or mid-send
    expect(minus(stored, published)).toEqual([]) // nothing stored that was not published
    expect(lost.length).toBe(published.size - stored.size)
    expect(lost.length).toBeGreaterThan(0)
    expect(lostInsideBridge.length).toBeGreaterThan(0)
    expect(lost.length).toBe(lostInsideBridge.length + neverInKafka.length)
    // After the restart the bridge works again: each device's last reading is stored.
    for (const id of devices) expect(stored.has(readingKey(id, lastOf(id)))).toBe(true)
    console.info(
      `peer SIGKILL: published ${published.size}, stored ${stored.size}, lost ${lost.length} ` +
        `(${lostInsideBridge.length} in Kafka but never written, ${neverInKafka.length} never reached Kafka)`,
    )
  })
})
