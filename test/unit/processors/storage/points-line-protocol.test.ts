import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client'
import { afterAll, describe, expect, it } from 'vitest'
import { WRITE_PRECISION } from '../../../../core/influx/line-protocol.js'
import { STORAGE_MEASUREMENTS, TAGS, qualityField, type Measurement } from '../../../../core/influx/layout.js'
import {
  DEVICE_TYPES,
  QUALITIES,
  decodeTelemetry,
  encodeTelemetry,
  sampleTime,
  type TelemetryEnvelope,
  type TelemetrySample,
} from '../../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { METRIC_NAMES } from '../../../../core/telemetry/metric-registry.js'
import {
  envelopeToPoints,
  measurementFor,
  recordToPoints,
  type Rejection,
} from '../../../../processors/storage/points.js'
import { HOSTILE_TEXTS, createRandom, randomText } from '../../../helpers/hostile-text.js'
import { consumedRecord, envelope, gatewayHeaders, sample } from '../../../helpers/telemetry-fixtures.js'
import type { KafkaRecord } from '../../../../core/kafka/records.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'

const writeApi: WriteApi = new InfluxDB({ url: 'http://127.0.0.1:9' }).getWriteApi(
  'org',
  'bucket',
  WRITE_PRECISION,
)
afterAll(() => void writeApi.dispose())

/**
 * The points as storage built them before line protocol was written directly: one client `Point`
 * per reading time, serialised by the client with the adapter's write API settings. The oracle the
 * direct lines must equal, byte for byte.
 */
function clientLines(
  measurement: Measurement,
  reading: TelemetryEnvelope,
  headers: Readonly<Record<string, Buffer>>,
): Array<{ line: string | undefined; timeMs: number; backfill: boolean }> {
  const header = (name: string): string | undefined => headers[name]?.toString('utf8') || undefined
  const deviceType =
    header(HEADERS.deviceType) ?? (reading.deviceType === 'unspecified' ? undefined : reading.deviceType)
  const tags: Array<[string, string | undefined]> = [
    [TAGS.deviceId, reading.deviceId],
    [TAGS.deviceType, deviceType],
    [TAGS.site, header(HEADERS.site)],
    [TAGS.subject, header(HEADERS.subject)],
  ]
  const byTime = new Map<number, TelemetrySample[]>()
  for (const s of reading.samples) {
    const timeMs = sampleTime(reading, s)
    byTime.set(timeMs, [...(byTime.get(timeMs) ?? []), s])
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([timeMs, samples]) => {
      const point = new Point(measurement)
      for (const [key, value] of tags) if (value !== undefined) point.tag(key, value)
      for (const s of samples)
        point.floatField(s.metric, s.value).stringField(qualityField(s.metric), s.quality)
      point.timestamp(timeMs)
      return { line: point.toLineProtocol(writeApi), timeMs, backfill: samples.some((s) => s.backfill) }
    })
}

/** recordToPoints as it was: decodeTelemetry, its checks, then the client's Points. */
function clientRecord(record: KafkaRecord): unknown {
  const measurement = measurementFor(record.topic)
  const refuse = (error: Rejection) => ({ ok: false, error })
  if (!measurement)
    return refuse({ reason: 'unknown_channel', detail: `not a storage channel: ${record.topic}` })
  const decoded = decodeTelemetry(record.value)
  if (!decoded.ok) return refuse({ reason: decoded.error.reason, detail: decoded.error.message })
  const reading = decoded.value
  if (!reading.deviceId) return refuse({ reason: 'missing_field', detail: 'device_id is empty' })
  const bad = reading.samples.findIndex((s) => !Number.isFinite(s.value))
  if (bad >= 0)
    return refuse({ reason: 'not_a_number', detail: `samples[${bad}] ${reading.samples[bad]?.metric}` })
  const rx = Number(record.headers[HEADERS.gatewayRxTs]?.toString('utf8'))
  return {
    ok: true,
    value: {
      deviceId: reading.deviceId,
      points: clientLines(measurement, reading, record.headers).map((p) => ({ ...p, measurement })),
      gatewayRxMs: Number.isSafeInteger(rx) && rx > 0 ? rx : undefined,
    },
  }
}

function expectSameAsClient(
  measurement: Measurement,
  reading: TelemetryEnvelope,
  headers: Record<string, Buffer> = {},
): void {
  const mapped = envelopeToPoints(measurement, reading, headers)
  if (!mapped.ok) throw new Error(`unexpected rejection: ${mapped.error.reason}`)
  const ours = mapped.value.points.map(({ line, timeMs, backfill }) => ({ line, timeMs, backfill }))
  expect(ours, JSON.stringify({ reading, headers })).toEqual(clientLines(measurement, reading, headers))
  expect(mapped.value.points.every((p) => p.measurement === measurement)).toBe(true)
}

const T = Date.UTC(2026, 0, 1, 12)
const pick = <V>(random: () => number, list: readonly V[]): V => list[Math.floor(random() * list.length)] as V
const VALUES = [
  0,
  -0,
  1,
  72,
  97.5,
  -12.25,
  0.1 + 0.2,
  1e-7,
  5e-324,
  1e21,
  2 ** 53 - 1,
  2 ** 53 + 2,
  -(2 ** 53),
]

describe('processors > storage > points as line protocol', () => {
  it('tags are written in the order the client sorts them', () => {
    const keys = [TAGS.deviceId, TAGS.deviceType, TAGS.site, TAGS.subject]
    expect(keys).toEqual([...keys].sort())
  })

  it.each(HOSTILE_TEXTS.filter((t) => t !== '').map((t) => [JSON.stringify(t), t]))(
    'a device id, type, site and subject of %s give the client’s line',
    (_, text) => {
      const headers = {
        [HEADERS.deviceType]: Buffer.from(text),
        [HEADERS.site]: Buffer.from(text),
        [HEADERS.subject]: Buffer.from(text),
      }
      const reading = envelope(text, 1, T, [
        sample('heart_rate', 72),
        sample('spo2', 97, { quality: 'motion' }),
      ])
      expectSameAsClient('vitals', reading, headers)
      expectSameAsClient('environment', reading, { [HEADERS.site]: Buffer.from('') })
    },
  )

  it('several samples of one metric at one instant: the last one wins, as in a Point', () => {
    const reading = envelope('dev', 1, T, [
      sample('spo2', 90, { quality: 'probe_off' }),
      sample('heart_rate', 72),
      sample('spo2', 97, { quality: 'motion' }),
      sample('heart_rate', 71, { tsMs: T - 1_000 }),
      sample('spo2', 91, { tsMs: T - 1_000, backfill: true }),
    ])
    expectSameAsClient('vitals', reading)
  })

  it('matches the client on random messages (seeded fuzz, 3,000 messages)', () => {
    const random = createRandom(20261203)
    const measurements = Object.values(STORAGE_MEASUREMENTS)
    for (let i = 0; i < 3_000; i++) {
      const times = [0, T, T - 1_000, T + 1_000, T - 60_000].slice(0, 1 + Math.floor(random() * 5))
      const samples = Array.from({ length: Math.floor(random() * 12) }, () =>
        sample(pick(random, METRIC_NAMES), random() < 0.5 ? pick(random, VALUES) : (random() - 0.5) * 1e4, {
          tsMs: pick(random, times),
          quality: pick(random, QUALITIES),
          backfill: random() < 0.2,
        }),
      )
      // Devices send oldest first; a shuffled message must still group and order the same way.
      if (random() < 0.5) samples.sort((a, b) => a.tsMs - b.tsMs)
      const headers: Record<string, Buffer> = {}
      for (const name of [HEADERS.deviceType, HEADERS.site, HEADERS.subject]) {
        if (random() < 0.7) headers[name] = Buffer.from(randomText(random))
      }
      const id = randomText(random) || 'dev'
      const reading = envelope(id, i, T + i, samples, pick(random, DEVICE_TYPES))
      expectSameAsClient(pick(random, measurements), reading, headers)
    }
  })

  it('maps records as decodeTelemetry and the client did, plain, mutated or broken (seeded, 4,000)', () => {
    const random = createRandom(4242)
    const channels = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.vitals, CHANNELS.status]
    for (let i = 0; i < 4_000; i++) {
      const samples = Array.from({ length: Math.floor(random() * 8) }, () =>
        sample(pick(random, METRIC_NAMES), random() < 0.05 ? Number.NaN : pick(random, VALUES), {
          tsMs: pick(random, [0, T - 1_000, T]),
          quality: pick(random, QUALITIES),
          backfill: random() < 0.2,
        }),
      )
      const reading = envelope(
        random() < 0.05 ? '' : `bed-${i % 7}`,
        i + 1,
        T,
        samples,
        pick(random, DEVICE_TYPES),
      )
      const value = Buffer.from(encodeTelemetry(reading))
      // A quarter of the payloads get a flipped bit: some still decode, most are refused.
      if (random() < 0.25) {
        const at = Math.floor(random() * value.length)
        value[at] = (value[at] ?? 0) ^ (1 << Math.floor(random() * 8))
      }
      const headers = gatewayHeaders({ site: random() < 0.5 ? 'ward 3' : undefined, rxMs: T + 5 })
      const record = consumedRecord({ topic: pick(random, channels), key: reading.deviceId, value, headers })
      expect(recordToPoints(record), value.toString('hex')).toEqual(clientRecord(record))
    }
  })

  it('refuses a message with a NaN or infinite value before writing any of it, as before', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const reading = envelope('dev', 1, T, [sample('heart_rate', 72), sample('spo2', bad)])
      expect(envelopeToPoints('vitals', reading, {})).toEqual({
        ok: false,
        error: { reason: 'not_a_number', detail: 'samples[1] spo2' },
      })
    }
  })
})
