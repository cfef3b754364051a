import { Point } from '@influxdata/influxdb-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInfluxAdapter } from '../../../../core/influx/client.js'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
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
})
