import type { KafkaRecord } from '../../core/kafka/records.js'
import { err, ok, type Result } from '../../core/result.js'
import {
  QUALITIES,
  decodeTelemetry,
  type TelemetryDecodeReason,
  type TelemetryEnvelope,
} from '../../core/telemetry/envelope.js'
import { readReadings, readingsOf, type Readings } from '../../core/telemetry/readings.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { METRIC_NAMES } from '../../core/telemetry/metric-registry.js'
import { STORAGE_MEASUREMENTS, TAGS, qualityField, type Measurement } from '../../core/influx/layout.js'
import { escapeMeasurement, escapeTag, quoteString, timestampMs } from '../../core/influx/line-protocol.js'

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
  /** The point as one line of line protocol, timestamp in ms (WRITE_PRECISION). */
  line: string
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

/**
 * Maps one Kafka record to its points; pure, so a replay of the record yields identical points.
 * A plain message is read straight into columns (readReadings); anything else goes through
 * decodeTelemetry, which decides every rejection, so both give the same points.
 */
export function recordToPoints(record: KafkaRecord): Result<RecordPoints, Rejection> {
  const measurement = measurementFor(record.topic)
  if (!measurement)
    return err({ reason: 'unknown_channel', detail: `not a storage channel: ${record.topic}` })
  const readings = readReadings(record.value)
  if (readings) return readingsToPoints(measurement, readings, record.headers)
  const decoded = decodeTelemetry(record.value)
  if (!decoded.ok) return err({ reason: decoded.error.reason, detail: decoded.error.message })
  return envelopeToPoints(measurement, decoded.value, record.headers)
}

// Everything about a field but its value is known before the first message: the escaped keys of
// every metric's value and quality fields, and every quality already quoted (quality fields cost
// a lookup, not an escape).
const VALUE_KEY = METRIC_NAMES.map((name) => `${escapeTag(name)}=`)
const QUALITY_FIELD = METRIC_NAMES.map((name) => `${escapeTag(qualityField(name))}=`)
const QUOTED_QUALITY = QUALITIES.map((q) => quoteString(q))
const MEASUREMENT_TEXT = new Map<Measurement, string>(
  Object.values(STORAGE_MEASUREMENTS).map((m) => [m, escapeMeasurement(m)]),
)
/**
 * Every field key of a point, in the order the client writes them (sorted by key, as
 * `Point.toLineProtocol` does): a point of several metrics walks this list instead of sorting.
 */
const FIELD_ORDER = METRIC_NAMES.flatMap((name, metric) => [
  { raw: name, metric, quality: false },
  { raw: qualityField(name), metric, quality: true },
]).sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0))
// Which sample holds each metric in the point being written (the last one wins, as a Point's
// field dictionary does), stamped with a generation number instead of cleared per point.
const holder = new Int32Array(METRIC_NAMES.length)
const stamp = new Int32Array(METRIC_NAMES.length)
let generation = 0

/** The points of an envelope decodeTelemetry returned. */
export function envelopeToPoints(
  measurement: Measurement,
  envelope: TelemetryEnvelope,
  headers: Readonly<Record<string, Buffer>>,
): Result<RecordPoints, Rejection> {
  return readingsToPoints(measurement, readingsOf(envelope), headers)
}

/**
 * One point per reading time: InfluxDB identifies a point by measurement + tags + time, so
 * samples read at the same instant must share one point (a field per metric), or they would
 * overwrite each other's quality field. Points come out oldest first.
 */
function readingsToPoints(
  measurement: Measurement,
  readings: Readings,
  headers: Readonly<Record<string, Buffer>>,
): Result<RecordPoints, Rejection> {
  if (!readings.deviceId) return err({ reason: 'missing_field', detail: 'device_id is empty' })
  const { count, value, tsMs, deviceTsMs } = readings
  const timeOf = (k: number): number => ((tsMs[k] as number) > 0 ? (tsMs[k] as number) : deviceTsMs)
  let inOrder = true
  for (let k = 0; k < count; k++) {
    if (!Number.isFinite(value[k])) {
      const metric = METRIC_NAMES[readings.metric[k] as number]
      return err({ reason: 'not_a_number', detail: `samples[${k}] ${metric}` })
    }
    if (k > 0 && timeOf(k) < timeOf(k - 1)) inOrder = false
  }
  // Devices send samples oldest first, so a point is a run of equal times; otherwise a stable
  // sort by time makes it one (samples of one instant keep their order).
  const order = inOrder
    ? undefined
    : Array.from({ length: count }, (_, k) => k).sort((a, b) => timeOf(a) - timeOf(b))
  const at = order ? (i: number): number => order[i] as number : (i: number): number => i
  const series = seriesKey(measurement, readings, headers)
  const points: StoragePoint[] = []
  for (let start = 0; start < count;) {
    const timeMs = timeOf(at(start))
    let end = start + 1
    while (end < count && timeOf(at(end)) === timeMs) end++
    let backfill = false
    for (let i = start; i < end; i++) backfill ||= readings.backfill[at(i)] === 1
    const fields =
      end - start === 1 ? fieldsOfOne(readings, at(start)) : fieldsOfMany(readings, at, start, end)
    points.push({ line: `${series} ${fields} ${timestampMs(timeMs)}`, measurement, timeMs, backfill })
    start = end
  }
  return ok({ deviceId: readings.deviceId, points, gatewayRxMs: gatewayRxMs(headers) })
}

/** A metric's value key sorts before its quality key (a prefix of it): no ordering to do. */
function fieldsOfOne(readings: Readings, k: number): string {
  const metric = readings.metric[k] as number
  return `${VALUE_KEY[metric]}${String(readings.value[k])},${QUALITY_FIELD[metric]}${QUOTED_QUALITY[readings.quality[k] as number]}`
}

function fieldsOfMany(readings: Readings, at: (i: number) => number, start: number, end: number): string {
  if (++generation > 0x3fffffff) {
    stamp.fill(0)
    generation = 1
  }
  for (let i = start; i < end; i++) {
    const k = at(i)
    const metric = readings.metric[k] as number
    stamp[metric] = generation
    holder[metric] = k
  }
  let text = ''
  for (const field of FIELD_ORDER) {
    if (stamp[field.metric] !== generation) continue
    const k = holder[field.metric] as number
    if (text.length > 0) text += ','
    text += field.quality
      ? `${QUALITY_FIELD[field.metric]}${QUOTED_QUALITY[readings.quality[k] as number]}`
      : `${VALUE_KEY[field.metric]}${String(readings.value[k])}`
  }
  return text
}

/**
 * Measurement and tags, escaped, in the client's order (tag keys sorted: the TAGS keys are listed
 * sorted); an absent or empty tag is left out, as the client leaves out an empty tag value.
 */
function seriesKey(
  measurement: Measurement,
  readings: Readings,
  headers: Readonly<Record<string, Buffer>>,
): string {
  const header = (name: string): string | undefined => {
    const value = headers[name]?.toString('utf8')
    return value ? value : undefined
  }
  // The registry's type (header) wins; the device's own claim is the fallback.
  const deviceType =
    header(HEADERS.deviceType) ?? (readings.deviceType === 'unspecified' ? undefined : readings.deviceType)
  let text = MEASUREMENT_TEXT.get(measurement) ?? escapeMeasurement(measurement)
  const tag = (key: string, value: string | undefined): void => {
    if (value) text += `,${escapeTag(key)}=${escapeTag(value)}`
  }
  tag(TAGS.deviceId, readings.deviceId)
  tag(TAGS.deviceType, deviceType)
  tag(TAGS.site, header(HEADERS.site))
  tag(TAGS.subject, header(HEADERS.subject))
  return text
}

function gatewayRxMs(headers: Readonly<Record<string, Buffer>>): number | undefined {
  const raw = headers[HEADERS.gatewayRxTs]?.toString('utf8')
  if (!raw) return undefined
  const value = Number(raw)
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}
