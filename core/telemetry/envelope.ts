// The only importer of the generated protobuf code for telemetry: everything else works with
// the domain types below, which keep wire details (enum numbers, Long) out of rules and sinks.
import { pulsewire } from '../../proto/gen/pulsewire.js'
import { err, ok, type Result } from '../result.js'
import { deviceTypeFromWire, deviceTypeToWire, type DeviceType } from './device-types.js'
import { METRICS, metricByWire, type MetricName } from './metric-registry.js'

const wire = pulsewire.telemetry.v1

/** Index = wire value of pulsewire.telemetry.v1.Quality. */
export const QUALITIES = [
  'unspecified',
  'valid',
  'questionable',
  'probe_off',
  'motion',
  'low_perfusion',
  'calibrating',
  'out_of_range',
] as const
export type Quality = (typeof QUALITIES)[number]

/** Qualities that claim a measurement: the sample's value is a reading (and must be plausible). */
export const MEASURED_QUALITIES: ReadonlySet<Quality> = new Set<Quality>([
  'valid',
  'questionable',
  'unspecified',
])

// Device types (names, wire numbers, per-type behaviour) live in the device-type table.
export { DEVICE_TYPES, type DeviceType } from './device-types.js'

export interface TelemetrySample {
  metric: MetricName
  /** 0 when the sample carries no value (`valueAbsent`). */
  value: number
  /**
   * Set only when the wire has no `value` (explicit presence, ADR 0015) while the quality claims a
   * measurement: such a sample is not a reading of 0, and the gateway drops it. A probe-off (or
   * other non-measurement) sample without a value keeps value 0 and no flag: its quality says why,
   * and payloads from before ADR 0015 decode exactly as they did.
   */
  valueAbsent?: true
  ucum: string
  quality: Quality
  /** Acquisition time, ms since the epoch; 0 = the envelope's deviceTsMs. */
  tsMs: number
  backfill: boolean
}

export interface DeviceStatus {
  batteryPct?: number | undefined
  rssiDbm?: number | undefined
  firmware: string
  onMainsPower: boolean
}

export interface TelemetryEnvelope {
  deviceId: string
  bootId: string
  seq: number
  deviceTsMs: number
  deviceType: DeviceType
  status?: DeviceStatus | undefined
  samples: TelemetrySample[]
}

/** The reading time of a sample: its own timestamp, or the message's. */
export const sampleTime = (envelope: TelemetryEnvelope, sample: TelemetrySample): number =>
  sample.tsMs > 0 ? sample.tsMs : envelope.deviceTsMs

export type TelemetryDecodeReason = 'malformed' | 'unknown_metric' | 'unknown_enum' | 'unsafe_integer'

export interface TelemetryDecodeError {
  reason: TelemetryDecodeReason
  message: string
}

export function encodeTelemetry(envelope: TelemetryEnvelope): Uint8Array {
  return wire.Telemetry.encode({
    deviceId: envelope.deviceId,
    bootId: envelope.bootId,
    seq: envelope.seq,
    deviceTsMs: envelope.deviceTsMs,
    deviceType: deviceTypeToWire(envelope.deviceType),
    status: envelope.status && {
      batteryPct: envelope.status.batteryPct ?? null,
      rssiDbm: envelope.status.rssiDbm ?? null,
      firmware: envelope.status.firmware,
      onMainsPower: envelope.status.onMainsPower,
    },
    samples: envelope.samples.map((s) => ({
      metric: METRICS[s.metric].wire,
      // No reading: absent on the wire. A 0 with a non-measurement quality (probe off…) is no
      // reading either, and stays absent as before ADR 0015, so those payloads keep their bytes.
      value: s.valueAbsent || (s.value === 0 && !MEASURED_QUALITIES.has(s.quality)) ? null : s.value,
      ucum: s.ucum,
      quality: QUALITIES.indexOf(s.quality),
      tsMs: s.tsMs,
      backfill: s.backfill,
    })),
  }).finish()
}

/** Decodes a publish payload; never throws for bad bytes. */
export function decodeTelemetry(bytes: Uint8Array): Result<TelemetryEnvelope, TelemetryDecodeError> {
  let message: pulsewire.telemetry.v1.Telemetry
  try {
    message = wire.Telemetry.decode(bytes)
  } catch (cause) {
    return err({ reason: 'malformed', message: cause instanceof Error ? cause.message : String(cause) })
  }
  const seq = toSafeNumber(message.seq)
  const deviceTsMs = toSafeNumber(message.deviceTsMs)
  if (seq === undefined || deviceTsMs === undefined) {
    return err({ reason: 'unsafe_integer', message: 'seq or device_ts_ms beyond 2^53' })
  }
  const deviceType = deviceTypeFromWire(message.deviceType)
  if (deviceType === undefined)
    return err({ reason: 'unknown_enum', message: `device_type ${message.deviceType}` })
  const samples: TelemetrySample[] = []
  for (const s of message.samples) {
    const metric = metricByWire(s.metric ?? 0)
    if (!metric) return err({ reason: 'unknown_metric', message: `metric ${s.metric ?? 0}` })
    const quality = QUALITIES[s.quality ?? 0]
    if (quality === undefined) return err({ reason: 'unknown_enum', message: `quality ${s.quality ?? 0}` })
    const tsMs = toSafeNumber(s.tsMs)
    if (tsMs === undefined) return err({ reason: 'unsafe_integer', message: 'sample ts_ms beyond 2^53' })
    const sample: TelemetrySample = {
      metric: metric.name,
      value: s.value ?? 0,
      ucum: s.ucum ?? '',
      quality,
      tsMs,
      backfill: s.backfill ?? false,
    }
    if ((s.value === null || s.value === undefined) && MEASURED_QUALITIES.has(quality))
      sample.valueAbsent = true
    samples.push(sample)
  }
  const status = message.status
  return ok({
    deviceId: message.deviceId,
    bootId: message.bootId,
    seq,
    deviceTsMs,
    deviceType,
    status: status
      ? {
          batteryPct: status.batteryPct ?? undefined,
          rssiDbm: status.rssiDbm ?? undefined,
          firmware: status.firmware ?? '',
          onMainsPower: status.onMainsPower ?? false,
        }
      : undefined,
    samples,
  })
}

/** protobufjs hands 64-bit integers over as Long objects; the domain uses exact JS numbers. */
export function toSafeNumber(
  value: number | { toNumber(): number; toString(): string } | null | undefined,
): number | undefined {
  if (value === null || value === undefined) return 0
  const n = typeof value === 'number' ? value : value.toNumber()
  if (!Number.isSafeInteger(n)) return undefined
  if (typeof value !== 'number' && String(n) !== value.toString()) return undefined
  return n
}
