import type { Point } from '@influxdata/influxdb-client'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { PipelineError } from '../../../../core/errors.js'
import type { InfluxAdapter } from '../../../../core/influx/client.js'
import type { KafkaProducer } from '../../../../core/kafka/producer.js'
import type { OutgoingRecord, ProduceRecord } from '../../../../core/kafka/records.js'
import { heartbeatRecord } from '../../../../core/telemetry/heartbeat.js'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { storageConfigSchema } from '../../../../processors/storage/config.js'
import { createStorageMetrics } from '../../../../processors/storage/metrics.js'
import { createStoragePipeline } from '../../../../processors/storage/pipeline.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { silentLogger } from '../../../helpers/services.js'
import { consumedRecord, telemetryRecord, vitalsReading } from '../../../helpers/telemetry-fixtures.js'

const lineOf = (p: string | Point): string =>
  typeof p === 'string' ? p : (p.toLineProtocol({ convertTime: (t) => String(t) }) ?? '')

function setup(fail: (lines: string[]) => Error | undefined = () => undefined) {
  const clock = new FakeClock()
  const registry = new Registry()
  const metrics = createStorageMetrics(registry)
  const stored: string[] = []
  const influx: Pick<InfluxAdapter, 'write'> = {
    write(points) {
      const lines = points.map(lineOf)
      const error = fail(lines)
      if (error) return Promise.reject(error)
      stored.push(...lines)
      return Promise.resolve()
    },
  }
  const dlq: ProduceRecord[] = []
  const producer: Pick<KafkaProducer, 'produce'> = {
    produce(record) {
      dlq.push(record)
      return Promise.resolve({ topic: record.topic, partition: 0, offset: dlq.length - 1 })
    },
  }
  const config = storageConfigSchema.parse({
    consumer: { maxBatchRecords: 10 },
    retry: { minDelayMs: 50, maxDelayMs: 500 },
  })
  const pipeline = createStoragePipeline({ influx, producer, config, metrics, clock, logger: silentLogger })
  const value = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
    const match = metric?.values.find((v) =>
      Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
    )
    return match?.value ?? 0
  }
  return { clock, pipeline, stored, dlq, value }
}

const T = Date.UTC(2026, 0, 1)
const vitals = (device: string, seq: number) =>
  consumedRecord(
    telemetryRecord(vitalsReading(device, seq, T + seq * 1_000), {
      site: 'ward',
      rxMs: T + seq * 1_000 + 20,
    }),
  )

describe('processors > storage > pipeline', () => {
  it('writes the points of a batch and resolves only once InfluxDB acknowledged them', async () => {
    const { clock, pipeline, stored, value } = setup()
    const records = [vitals('a', 1), vitals('a', 2), vitals('b', 1)]
    let done = false
    const handled = pipeline.handle(records).then(() => (done = true))
    await clock.advance(249) // batch.maxWaitMs defaults to 250 ms
    expect(done).toBe(false)
    expect(stored).toEqual([])
    await clock.advance(1)
    await handled
    expect(stored).toHaveLength(3)
    expect(stored[0]).toMatch(/^vitals,device_id=a,device_type=bedside-monitor,site=ward heart_rate=61,/)
    expect(await value('pulsewire_storage_records_consumed_total', { channel: CHANNELS.vitals })).toBe(3)
    expect(await value('pulsewire_storage_points_written_total', { measurement: 'vitals' })).toBe(3)
  })

  it('writes a full consumer batch at once: more records are waiting behind it', async () => {
    const { pipeline, stored } = setup()
    await pipeline.handle(Array.from({ length: 10 }, (_, i) => vitals('c', i)))
    expect(stored).toHaveLength(10)
  })

  it('sends undecodable records to the DLQ with their raw bytes and reason, without blocking the good ones', async () => {
    const { clock, pipeline, stored, dlq, value } = setup()
    const poison = consumedRecord(
      {
        topic: CHANNELS.vitals,
        key: 'dev-p',
        value: Buffer.from([0xff, 0xff, 0xff]),
        headers: { [HEADERS.site]: 'w1' },
      },
      { partition: 2, offset: 77 },
    )
    const handled = pipeline.handle([vitals('d', 1), poison, vitals('d', 2)])
    await clock.advance(1_000)
    await handled
    expect(stored).toHaveLength(2)
    expect(dlq).toHaveLength(1)
    const letter = dlq[0] as OutgoingRecord
    expect(letter).toMatchObject({ topic: CHANNELS.dlq, key: 'dev-p', value: poison.value })
    expect(String(letter.headers?.[HEADERS.rejectReason])).toBe('malformed')
    expect(String(letter.headers?.[HEADERS.rejectDetail])).toContain(`${CHANNELS.vitals}/2@77`)
    expect(String(letter.headers?.[HEADERS.site])).toBe('w1')
    expect(await value('pulsewire_storage_dlq_records_total', { reason: 'malformed' })).toBe(1)
  })

  it('skips gateway heartbeats: no point, no DLQ record, counted apart from the records', async () => {
    const { clock, pipeline, stored, dlq, value } = setup()
    const beat = (partition: number) =>
      consumedRecord(heartbeatRecord(CHANNELS.vitals, partition, 'gw-1', T), { partition })
    const handled = pipeline.handle([beat(0), vitals('h', 1), beat(1), beat(0)])
    await clock.advance(1_000)
    await handled
    expect(stored).toHaveLength(1)
    expect(dlq).toHaveLength(0)
    expect(await value('pulsewire_storage_heartbeats_total', { channel: CHANNELS.vitals })).toBe(3)
    expect(await value('pulsewire_storage_records_consumed_total', { channel: CHANNELS.vitals })).toBe(1)
    // A batch of heartbeats only resolves at once (its offsets commit), with nothing to write.
    await pipeline.handle([beat(2), beat(3)])
    expect(stored).toHaveLength(1)
    expect(dlq).toHaveLength(0)
  })

  it('parks the records whose points InfluxDB refuses (400) and writes the rest', async () => {
    const conflict = new PipelineError('INFLUX_WRITE_FAILED', 'field type conflict', {
      context: { status: 400 },
    })
    const { clock, pipeline, stored, dlq, value } = setup((lines) =>
      lines.some((l) => l.includes('device_id=e2')) ? conflict : undefined,
    )
    const bad = vitals('e2', 5)
    const handled = pipeline.handle([vitals('e1', 1), vitals('e1', 2), bad, vitals('e1', 3)])
    await clock.advance(1_000)
    await handled
    expect(stored.filter((l) => l.includes('device_id=e1'))).toHaveLength(3)
    expect(dlq).toHaveLength(1)
    expect(dlq[0]?.value).toBe(bad.value)
    expect(String(dlq[0]?.headers?.[HEADERS.rejectReason])).toBe('influx_rejected')
    expect(String(dlq[0]?.headers?.[HEADERS.rejectDetail])).toContain('field type conflict')
    expect(await value('pulsewire_storage_dlq_records_total', { reason: 'influx_rejected' })).toBe(1)
  })

  it('holds the batch while InfluxDB is down (no commit), and finishes it when InfluxDB is back', async () => {
    let down = true
    const { clock, pipeline, stored, value } = setup(() =>
      down ? new PipelineError('INFLUX_UNAVAILABLE', 'down', { retriable: true }) : undefined,
    )
    let done = false
    const handled = pipeline.handle([vitals('f', 1)]).then(() => (done = true))
    for (let i = 0; i < 8; i++) await clock.advance(500).then(() => new Promise((r) => setImmediate(r)))
    expect(done).toBe(false)
    expect(await value('pulsewire_storage_write_retries_total', { reason: 'unavailable' })).toBeGreaterThan(3)
    down = false
    await clock.runAll()
    await handled
    expect(stored).toHaveLength(1)
  })
})
