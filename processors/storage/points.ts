import { Point } from '@influxdata/influxdb-client'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { err, ok, type Result } from '../../core/result.js'
import {
  decodeTelemetry,
  sampleTime,
  type TelemetryDecodeReason,
  type TelemetryEnvelope,
  type TelemetrySample,
} from '../../core/telemetry/envelope.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { STORAGE_MEASUREMENTS, TAGS, qualityField, type Measurement } from '../../core/influx/layout.js'

/** Why storage sent a record to the DLQ: a closed set, used as the DLQ header and a metric label. */
export type StorageRejectReason =
  TelemetryDecodeReason | 'unknown_channel' | 'missing_field' | 'not_a_number' | 'influx_rejected'

export const STORAGE_REJECT_REASONS: readonly StorageRejectReason[] = [
  'malformed',
  'unknown_metric',
  'unknown_enum',
  'unsafe_integer',
  'unknown_channel',
  'missing_field',
  'not_a_number',
  'influx_rejected',
]

export interface Rejection {
  reason: StorageRejectReason
  detail: string
}

export interface StoragePoint {
  point: Point
  measurement: Measurement
  /** Reading time, ms since the epoch: the point's timestamp. */
  timeMs: number
  /** True when a sample of the point was buffered on the device (its age is not pipeline latency). */
  backfill: boolean
}

export interface RecordPoints {
  deviceId: string
  points: StoragePoint[]
  /** Gateway receive time from the record header, when present and valid. */
  gatewayRxMs: number | undefined
}

export function measurementFor(topic: string): Measurement | undefined {
  return Object.hasOwn(STORAGE_MEASUREMENTS, topic)
    ? STORAGE_MEASUREMENTS[topic as keyof typeof STORAGE_MEASUREMENTS]
    : undefined
}

/** Maps one Kafka record to its points; pure, so a replay of the record yields identical points. */
export function recordToPoints(record: KafkaRecord): Result<RecordPoints, Rejection> {
  const measurement = measurementFor(record.topic)
  if (!measurement)
    return err({ reason: 'unknown_channel', detail: `not a storage channel: ${record.topic}` })
  const decoded = decodeTelemetry(record.value)
  if (!decoded.ok) return err({ reason: decoded.error.reason, detail: decoded.error.message })
  return envelopeToPoints(measurement, decoded.value, record.headers)
}

/**
 * One point per reading time: InfluxDB identifies a point by measurement + tags + time, so
 * samples read at the same instant must share one point (a field per metric), or they would
 * overwrite each other's quality field.
 */
export function envelopeToPoints(
  measurement: Measurement,
  envelope: TelemetryEnvelope,
  headers: Readonly<Record<string, Buffer>>,
): Result<RecordPoints, Rejection> {
  if (!envelope.deviceId) return err({ reason: 'missing_field', detail: 'device_id is empty' })
  const byTime = new Map<number, TelemetrySample[]>()
  for (const [index, sample] of envelope.samples.entries()) {
    if (!Number.isFinite(sample.value)) {
      return err({ reason: 'not_a_number', detail: `samples[${index}] ${sample.metric}` })
    }
    const timeMs = sampleTime(envelope, sample)
    const group = byTime.get(timeMs)
    if (group) group.push(sample)
    else byTime.set(timeMs, [sample])
  }
  const tags = tagsFor(envelope, headers)
  const points = [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([timeMs, samples]): StoragePoint => {
      const point = new Point(measurement)
      for (const [key, value] of tags) point.tag(key, value)
      for (const sample of samples) {
        point.floatField(sample.metric, sample.value).stringField(qualityField(sample.metric), sample.quality)
      }
      point.timestamp(timeMs)
      return { point, measurement, timeMs, backfill: samples.some((s) => s.backfill) }
    })
  return ok({ deviceId: envelope.deviceId, points, gatewayRxMs: gatewayRxMs(headers) })
}

function tagsFor(
  envelope: TelemetryEnvelope,
  headers: Readonly<Record<string, Buffer>>,
): Array<[string, string]> {
  const header = (name: string): string | undefined => {
    const value = headers[name]?.toString('utf8')
    return value ? value : undefined
  }
  // The registry's type (header) wins; the device's own claim is the fallback.
  const deviceType =
    header(HEADERS.deviceType) ?? (envelope.deviceType === 'unspecified' ? undefined : envelope.deviceType)
  const tags: Array<[string, string | undefined]> = [
    [TAGS.deviceId, envelope.deviceId],
    [TAGS.deviceType, deviceType],
    [TAGS.site, header(HEADERS.site)],
    [TAGS.subject, header(HEADERS.subject)],
  ]
  return tags.filter((tag): tag is [string, string] => tag[1] !== undefined)
}

function gatewayRxMs(headers: Readonly<Record<string, Buffer>>): number | undefined {
  const raw = headers[HEADERS.gatewayRxTs]?.toString('utf8')
  if (!raw) return undefined
  const value = Number(raw)
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}
