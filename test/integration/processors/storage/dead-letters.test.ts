import { Point } from '@influxdata/influxdb-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInfluxAdapter } from '../../../../core/influx/client.js'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { heartbeatRecord } from '../../../../core/telemetry/heartbeat.js'
import { CHANNELS, CHANNEL_SPECS } from '../../../../core/telemetry/topics.js'
import { tapChannels } from '../../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../../helpers/services.js'
import { envelope, sample, telemetryRecord, vitalsReading } from '../../../helpers/telemetry-fixtures.js'
import { primePartitions, testScope } from './harness.js'

const scope = testScope('it-storage-dlq-producer')
const { producer } = scope
beforeAll(() => scope.start())
afterAll(() => scope.close())

describe('integration > processors > storage > dead letters (real Kafka, real InfluxDB)', () => {
  it('sends a poison record to the DLQ with its raw bytes and reason, and stores the good records behind it', async () => {
    const db = await scope.database('it_storage_d')
    const running = await scope.storage(unique('it-storage-d'), db.config)
    await primePartitions(running, producer)
    const tap = await tapChannels(testKafka, [CHANNELS.dlq])
    scope.defer(() => tap.stop())
    const device = unique('poison')
    const poison = Buffer.from('definitely not protobuf \u00ff\u00fe', 'latin1')
    const base = Date.now() - 10_000
    await producer.produce(telemetryRecord(vitalsReading(device, 1, base)))
    await producer.produce({
      topic: CHANNELS.vitals,
      key: device,
      value: poison,
      headers: { [HEADERS.site]: 'w9' },
    })
    for (let seq = 2; seq <= 10; seq++)
      await producer.produce(telemetryRecord(vitalsReading(device, seq, base + seq)))

    await eventually(async () => ((await db.countsPerDevice()).get(device) === 10 ? true : undefined), 20_000)
    const [letter] = await eventually(() => {
      const found = tap.forKeys([device])
      return found.length > 0 ? found : undefined
    }, 20_000)
    expect(letter?.value.equals(poison)).toBe(true)
    expect(letter?.headers[HEADERS.rejectReason]?.toString()).toBe('malformed')
    expect(letter?.headers[HEADERS.rejectDetail]?.toString()).toMatch(
      /^storage: .*telemetry\.vitals\.v2\/\d+@\d+\)$/,
    )
    expect(letter?.headers[HEADERS.site]?.toString()).toBe('w9')
    expect(await running.metric('pulsewire_storage_dlq_records_total', { reason: 'malformed' })).toBe(1)
    await running.stop()
  })

  it('bisects a batch InfluxDB refuses (field type conflict) down to the bad record, and writes the rest', async () => {
    const db = await scope.database('it_storage_e')
    // Another writer made infusion_rate a string in this shard: a float for it can never be written.
    await createInfluxAdapter(db.config).write([
      new Point('vitals').tag('device_id', 'seed').stringField('infusion_rate', 'oops').timestamp(Date.now()),
    ])
    const running = await scope.storage(unique('it-storage-e'), db.config)
    await primePartitions(running, producer)
    const tap = await tapChannels(testKafka, [CHANNELS.dlq])
    scope.defer(() => tap.stop())
    const good = unique('good')
    const bad = unique('pump')
    const base = Date.now() - 5_000
    const sends: Array<Promise<unknown>> = []
    for (let seq = 1; seq <= 10; seq++)
      sends.push(producer.produce(telemetryRecord(vitalsReading(good, seq, base + seq))))
    const pump = envelope(bad, 1, base, [sample('infusion_rate', 12.5)], 'infusion-pump')
    sends.push(producer.produce(telemetryRecord(pump, { site: 'ward-p' })))
    await Promise.all(sends)

    await eventually(async () => ((await db.countsPerDevice()).get(good) === 10 ? true : undefined), 20_000)
    const [letter] = await eventually(() => {
      const found = tap.forKeys([bad])
      return found.length > 0 ? found : undefined
    }, 20_000)
    expect(letter?.headers[HEADERS.rejectReason]?.toString()).toBe('influx_rejected')
    expect(letter?.headers[HEADERS.rejectDetail]?.toString()).toContain('field type conflict')
    expect(letter?.headers[HEADERS.site]?.toString()).toBe('ward-p')
    expect(letter?.value.equals(telemetryRecord(pump).value)).toBe(true)
    expect((await db.countsPerDevice('vitals', 'infusion_rate')).get(bad)).toBeUndefined()
    expect(await running.metric('pulsewire_storage_dlq_records_total', { reason: 'influx_rejected' })).toBe(1)
    await running.stop()
  })

  it('skips gateway heartbeats: no point, not undecodable, no DLQ record, and their offsets commit', async () => {
    const db = await scope.database('it_storage_hb')
    const running = await scope.storage(unique('it-storage-hb'), db.config)
    await primePartitions(running, producer)
    const tap = await tapChannels(testKafka, [CHANNELS.dlq])
    scope.defer(() => tap.stop())
    const device = unique('hb-dev')
    const base = Date.now() - 10_000
    const partitions = CHANNEL_SPECS.find((c) => c.name === CHANNELS.vitals)?.partitions ?? 0
    const beats: Array<{ topic: string; partition: number; offset: number }> = []
    for (let seq = 1; seq <= 6; seq++) {
      await producer.produce(telemetryRecord(vitalsReading(device, seq, base + seq)))
      for (const topic of [CHANNELS.vitals, CHANNELS.environment])
        for (let p = 0; p < partitions; p++)
          beats.push(await producer.produce(heartbeatRecord(topic, p, 'it-gateway', Date.now())))
    }
    await eventually(async () => ((await db.countsPerDevice()).get(device) === 6 ? true : undefined), 20_000)
    // Every heartbeat's offset is committed: the group does not stall or re-read them.
    await eventually(() => {
      const committed = running.service.consumer.committedOffsets()
      return beats.every((b) => (committed.get(`${b.topic}/${b.partition}`) ?? 0) > b.offset)
        ? true
        : undefined
    }, 20_000)
    const devices = await db.countsPerDevice()
    expect([...devices.keys()]).toEqual([device]) // probes aside, nothing but the device's points
    expect((await db.countsPerDevice('environment', 'heart_rate')).size).toBe(0)
    expect(await running.metric('pulsewire_storage_heartbeats_total')).toBeGreaterThanOrEqual(beats.length)
    expect(await running.metric('pulsewire_storage_dlq_records_total')).toBe(0)
    expect(tap.records.filter((r) => r.value.length === 0)).toEqual([])
    await running.stop()
  })
})
