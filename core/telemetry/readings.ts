// The readings of a Telemetry payload as columns, read straight off the wire for a consumer that
// only writes readings out (storage): no envelope, no object per sample, no unit or boot id
// strings. A fast path, never a second decoder: it gives up (undefined) on anything but a plain,
// valid message, and the caller then decodes the payload with decodeTelemetry, which has the last
// word on every rejection. So whatever it accepts, decodeTelemetry accepts with the same values
// (test/unit/core/telemetry/readings.test.ts compares them on valid, mutated and random bytes).
import protobuf from 'protobufjs/minimal.js'
import { deviceTypeFromWire, type DeviceType } from './device-types.js'
import { QUALITIES, toSafeNumber, type TelemetryEnvelope } from './envelope.js'
import { METRIC_NAMES, metricByWire, type MetricName } from './metric-registry.js'

/**
 * One message's readings, column by column (index k = the k-th sample in wire order). The object
 * and its arrays are reused by the next call of readReadings or readingsOf: read it before.
 */
export interface Readings {
  deviceId: string
  deviceTsMs: number
  deviceType: DeviceType
  count: number
  /** Index into METRIC_NAMES. */
  metric: Int32Array
  /** 0 when the sample carries no value, as in TelemetrySample. */
  value: Float64Array
  /** Index into QUALITIES. */
  quality: Uint8Array
  /** The sample's own time, 0 = the message's (sampleTime). */
  tsMs: Float64Array
  backfill: Uint8Array
}

const METRIC_INDEX: ReadonlyMap<MetricName, number> = new Map(METRIC_NAMES.map((name, i) => [name, i]))
const QUALITY_INDEX: ReadonlyMap<string, number> = new Map(QUALITIES.map((name, i) => [name, i]))

const scratch: Readings = {
  deviceId: '',
  deviceTsMs: 0,
  deviceType: 'unspecified',
  count: 0,
  metric: new Int32Array(16),
  value: new Float64Array(16),
  quality: new Uint8Array(16),
  tsMs: new Float64Array(16),
  backfill: new Uint8Array(16),
}

function reserve(count: number): void {
  if (count <= scratch.metric.length) return
  const size = Math.max(count, scratch.metric.length * 2)
  const grow = <A extends Int32Array | Float64Array | Uint8Array>(old: A, make: (n: number) => A): A => {
    const next = make(size)
    next.set(old)
    return next
  }
  scratch.metric = grow(scratch.metric, (n) => new Int32Array(n))
  scratch.value = grow(scratch.value, (n) => new Float64Array(n))
  scratch.quality = grow(scratch.quality, (n) => new Uint8Array(n))
  scratch.tsMs = grow(scratch.tsMs, (n) => new Float64Array(n))
  scratch.backfill = grow(scratch.backfill, (n) => new Uint8Array(n))
}

/** The columns of an envelope decodeTelemetry returned. */
export function readingsOf(envelope: TelemetryEnvelope): Readings {
  reserve(envelope.samples.length)
  scratch.deviceId = envelope.deviceId
  scratch.deviceTsMs = envelope.deviceTsMs
  scratch.deviceType = envelope.deviceType
  scratch.count = envelope.samples.length
  for (const [k, s] of envelope.samples.entries()) {
    scratch.metric[k] = METRIC_INDEX.get(s.metric) ?? -1
    scratch.value[k] = s.value
    scratch.quality[k] = QUALITY_INDEX.get(s.quality) ?? 0
    scratch.tsMs[k] = s.tsMs
    scratch.backfill[k] = s.backfill ? 1 : 0
  }
  return scratch
}

/** A 64-bit integer as decodeTelemetry takes it: a number below 2^53, else undefined. */
const safe = (value: unknown): number | undefined => toSafeNumber(value as Parameters<typeof toSafeNumber>[0])

/** Thrown inside the reader to give up; never escapes. */
const GIVE_UP = new Error('not the plain case')

// Wire types and the fields (pulsewire/telemetry/v1/telemetry.proto) the generated decoder reads.
const VARINT = 0
const FIXED64 = 1
const LENGTH = 2

/**
 * The readings of a payload, or undefined when it is not a plain valid message (bad bytes, an
 * unknown field, enum or metric, an unsafe integer, non-ASCII text besides the device id): then
 * decodeTelemetry decides.
 */
export function readReadings(bytes: Uint8Array): Readings | undefined {
  try {
    return read(protobuf.Reader.create(bytes))
  } catch {
    return undefined
  }
}

function read(r: protobuf.Reader): Readings {
  let deviceId = ''
  let seq: number | undefined = 0
  let deviceTsMs: number | undefined = 0
  let deviceTypeWire = 0
  let count = 0
  while (r.pos < r.len) {
    const tag = r.tag()
    const wireType = tag & 7
    const field = tag >>> 3
    if (field === 1 && wireType === LENGTH) deviceId = r.stringVerify()
    else if (field === 2 && wireType === LENGTH) skipAscii(r)
    else if (field === 3 && wireType === VARINT) seq = safe(r.uint64())
    else if (field === 4 && wireType === VARINT) deviceTsMs = safe(r.int64())
    else if (field === 5 && wireType === VARINT) deviceTypeWire = r.int32()
    else if (field === 6 && wireType === LENGTH) skipStatus(r)
    else if (field === 7 && wireType === LENGTH) readSample(r, count++)
    else throw GIVE_UP
  }
  const deviceType = deviceTypeFromWire(deviceTypeWire)
  if (seq === undefined || deviceTsMs === undefined || deviceType === undefined) throw GIVE_UP
  scratch.deviceId = deviceId
  scratch.deviceTsMs = deviceTsMs
  scratch.deviceType = deviceType
  scratch.count = count
  return scratch
}

/** Runs `body` over a length-delimited sub-message, as the generated decoder bounds it. */
function within(r: protobuf.Reader, body: () => void): void {
  const length = r.size() // before r.pos: reading the length moves it
  const end = r.pos + length
  if (end > r.len) throw GIVE_UP
  const outer = r.len
  r.len = end
  while (r.pos < end) body()
  if (r.pos !== end) throw GIVE_UP
  r.len = outer
}

function readSample(r: protobuf.Reader, k: number): void {
  reserve(k + 1)
  let metricWire = 0
  let value = 0
  let qualityWire = 0
  let tsMs: number | undefined = 0
  let backfill = false
  within(r, () => {
    const tag = r.tag()
    const wireType = tag & 7
    const field = tag >>> 3
    if (field === 1 && wireType === VARINT) metricWire = r.int32()
    else if (field === 2 && wireType === FIXED64) value = r.double()
    else if (field === 3 && wireType === LENGTH) skipAscii(r)
    else if (field === 4 && wireType === VARINT) qualityWire = r.int32()
    else if (field === 5 && wireType === VARINT) tsMs = safe(r.int64())
    else if (field === 6 && wireType === VARINT) backfill = r.bool()
    else throw GIVE_UP
  })
  const metric = metricByWire(metricWire)
  const quality = QUALITIES[qualityWire]
  if (!metric || quality === undefined || tsMs === undefined) throw GIVE_UP
  scratch.metric[k] = METRIC_INDEX.get(metric.name) ?? -1
  scratch.value[k] = value
  scratch.quality[k] = qualityWire
  scratch.tsMs[k] = tsMs
  scratch.backfill[k] = backfill ? 1 : 0
}

/** DeviceStatus: checked as the generated decoder reads it, then dropped (storage writes none of it). */
function skipStatus(r: protobuf.Reader): void {
  within(r, () => {
    const tag = r.tag()
    const wireType = tag & 7
    const field = tag >>> 3
    if (field === 1 && wireType === VARINT) r.uint32()
    else if (field === 2 && wireType === VARINT) r.sint32()
    else if (field === 3 && wireType === LENGTH) skipAscii(r)
    else if (field === 4 && wireType === VARINT) r.bool()
    else throw GIVE_UP
  })
}

/**
 * A string field storage does not write: skipped without building the string. ASCII is valid
 * UTF-8, so the generated decoder (which rejects invalid UTF-8) accepts it; anything else gives up.
 */
function skipAscii(r: protobuf.Reader): void {
  const length = r.size()
  const end = r.pos + length
  if (end > r.len) throw GIVE_UP
  const { buf } = r
  for (let i = r.pos; i < end; i++) if ((buf[i] as number) >= 0x80) throw GIVE_UP
  r.pos = end
}
