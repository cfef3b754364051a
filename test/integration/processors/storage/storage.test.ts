import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InfluxConfig } from '../../../../core/config/shared.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { eventually, unique } from '../../../helpers/services.js'
import { envelope, sample, telemetryRecord, vitalsReading } from '../../../helpers/telemetry-fixtures.js'
import { primePartitions, sleep, startStream, testScope } from './harness.js'

const scope = testScope('it-storage-producer')
const { producer } = scope
beforeAll(() => scope.start())
afterAll(() => scope.close())
const database = (prefix: string) => scope.database(prefix)
const storage = (groupId: string, influx: InfluxConfig) => scope.storage(groupId, influx)

type VitalsRow = {
  device_id: string
  device_type: string
  site?: string
  subject?: string
  _time: string
  heart_rate: number
  heart_rate_quality: string
  spo2: number
  spo2_quality: string
}

describe('integration > processors > storage (real Kafka, real InfluxDB)', () => {
  it('stores every record as points readable with Flux, with exact counts, values and tags', async () => {
    const db = await database('it_storage_a')
    const running = await storage(unique('it-storage-a'), db.config)
    await primePartitions(running, producer)
    const devices = Array.from({ length: 3 }, (_, i) => `${unique('a')}-${i}`)
    const base = Date.now() - 60_000
    const sends: Array<Promise<unknown>> = []
    for (let seq = 1; seq <= 20; seq++) {
      for (const [i, device] of devices.entries()) {
        const record = telemetryRecord(vitalsReading(device, seq, base + seq * 1_000), {
          site: `ward-${i}`,
          subject: i === 0 ? 'subj-0' : undefined,
        })
        sends.push(producer.produce(record))
      }
    }
    const sensor = unique('env')
    const reading = envelope(
      sensor,
      1,
      base,
      [sample('ambient_temperature', 21.37), sample('relative_humidity', 44.5, { quality: 'calibrating' })],
      'environmental-sensor',
    )
    sends.push(producer.produce(telemetryRecord(reading, { site: 'plant' }, CHANNELS.environment)))
    await Promise.all(sends)

    await eventually(async () => {
      const counts = await db.countsPerDevice()
      return devices.every((d) => counts.get(d) === 20) ? true : undefined
    }, 20_000)
    const rows = await db.query<VitalsRow>(
      `from(bucket: "${db.bucket}")
        |> range(start: -1h, stop: 1h)
        |> filter(fn: (r) => r._measurement == "vitals" and r.device_id == "${devices[0]}")
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> sort(columns: ["_time"])`,
    )
    expect(rows).toHaveLength(20)
    rows.forEach((row, i) => {
      const seq = i + 1
      expect(row).toMatchObject({
        device_id: devices[0],
        device_type: 'bedside-monitor',
        site: 'ward-0',
        subject: 'subj-0',
        heart_rate: 60 + (seq % 40),
        heart_rate_quality: 'valid',
        spo2: 90 + (seq % 10),
        spo2_quality: 'valid',
      })
      expect(Date.parse(row._time)).toBe(base + seq * 1_000)
    })
    const other = await db.query<VitalsRow>(
      `from(bucket: "${db.bucket}") |> range(start: -1h, stop: 1h)
        |> filter(fn: (r) => r.device_id == "${devices[1]}" and r._field == "heart_rate") |> limit(n: 1)`,
    )
    expect(other[0]?.site).toBe('ward-1')
    expect(other[0]?.subject).toBeUndefined()

    const env = await eventually(async () => {
      const found = await db.query<Record<string, unknown>>(
        `from(bucket: "${db.bucket}") |> range(start: -1h, stop: 1h)
          |> filter(fn: (r) => r._measurement == "environment" and r.device_id == "${sensor}")
          |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
      )
      return found.length > 0 ? found : undefined
    }, 10_000)
    expect(env).toHaveLength(1)
    expect(env[0]).toMatchObject({
      device_type: 'environmental-sensor',
      site: 'plant',
      ambient_temperature: 21.37,
      ambient_temperature_quality: 'valid',
      relative_humidity: 44.5,
      relative_humidity_quality: 'calibrating',
    })
    expect(await running.metric('pulsewire_storage_device_to_stored_seconds')).toBeGreaterThanOrEqual(61)
    expect(await running.metric('pulsewire_storage_gateway_to_stored_seconds')).toBeGreaterThanOrEqual(61)
    expect((await fetch(`${running.httpUrl()}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${running.httpUrl()}/metrics`)).text()
    expect(metrics).toContain('pulsewire_storage_points_written_total{measurement="vitals"')
    await running.stop()
  })

  it('stores every point exactly once across a stop mid-stream and a restart of the group', async () => {
    const db = await database('it_storage_b')
    const groupId = unique('it-storage-b')
    const first = await storage(groupId, db.config)
    await primePartitions(first, producer)
    const devices = Array.from({ length: 8 }, (_, i) => `${unique('b')}-${i}`)
    const stream = startStream(producer, devices, 10)
    await sleep(2_500) // the subject: the first member writes part of the stream
    await first.stop() // mid-stream: records keep arriving while no member is running
    const writtenByFirst = await first.metric('pulsewire_storage_points_written_total')
    const steadyLatency = await first.latency('pulsewire_storage_device_to_stored_seconds')
    await sleep(1_500) // the subject: records keep arriving while no member runs
    const second = await storage(groupId, db.config)
    await sleep(1_500) // the subject: the second member takes over while the stream goes on
    await stream.stop()
    const produced = stream.total()
    const started = Date.now()
    await eventually(async () => {
      const counts = await db.countsPerDevice()
      return devices.every((d) => counts.get(d) === stream.produced.get(d)?.length) ? true : undefined
    }, 30_000)
    const counts = await db.countsPerDevice()
    for (const device of devices) {
      expect(counts.get(device)).toBe(new Set(stream.produced.get(device)).size)
    }
    const writtenBySecond = await second.metric('pulsewire_storage_points_written_total')
    console.info('storage restart', {
      produced,
      writtenByFirst,
      writtenBySecond,
      caughtUpAfterMs: Date.now() - started,
      deviceToStoredSeconds: steadyLatency,
    })
    expect(writtenByFirst).toBeGreaterThan(0)
    expect(writtenBySecond).toBeGreaterThan(0)
    await second.stop()
  })

  it('catches up a backlog: throughput of the consumer group from committed offsets', async () => {
    const db = await database('it_storage_backlog')
    const groupId = unique('it-storage-backlog')
    const first = await storage(groupId, db.config)
    await primePartitions(first, producer)
    await first.stop()
    const devices = Array.from({ length: 50 }, (_, i) => `${unique('bl')}-${i}`)
    const base = Date.now() - 30 * 60_000
    const perDevice = 400
    const sends: Array<Promise<unknown>> = []
    for (let seq = 1; seq <= perDevice; seq++) {
      for (const device of devices)
        sends.push(producer.produce(telemetryRecord(vitalsReading(device, seq, base + seq * 1_000))))
    }
    await Promise.all(sends)
    const started = Date.now()
    const second = await storage(groupId, db.config)
    const total = devices.length * perDevice
    await eventually(
      async () =>
        (await second.metric('pulsewire_storage_points_written_total')) >= total ? true : undefined,
      45_000,
    )
    const elapsedMs = Date.now() - started
    const stored = async () => [...(await db.countsPerDevice()).values()].reduce((a, b) => a + b, 0)
    await eventually(async () => ((await stored()) === total ? true : undefined), 10_000)
    expect(await stored()).toBe(total)
    const requests = await second.metric('pulsewire_storage_batch_points')
    console.info('storage backlog', {
      points: total,
      elapsedMs,
      pointsPerSecond: Math.round(total / (elapsedMs / 1_000)),
      requests,
    })
    await second.stop()
  })
})
