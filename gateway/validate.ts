import type { DeviceType } from '../core/telemetry/device-types.js'
import {
  decodeTelemetry,
  MEASURED_QUALITIES,
  sampleTime,
  type TelemetryDecodeReason,
  type TelemetryEnvelope,
} from '../core/telemetry/envelope.js'
import { METRICS } from '../core/telemetry/metric-registry.js'
import { err, ok, type Result } from '../core/result.js'

/** Why a payload was rejected: a closed set, used as the DLQ header and a metric label. */
export type RejectReason =
  | TelemetryDecodeReason
  | 'oversized'
  | 'missing_field'
  | 'device_mismatch'
  | 'device_type_mismatch'
  | 'no_samples'
  | 'too_many_samples'
  | 'timestamp_in_future'
  | 'timestamp_too_old'
  | 'unit_mismatch'
  | 'value_out_of_range'
  | 'not_a_number'
  | 'missing_value'

export const REJECT_REASONS: readonly RejectReason[] = [
  'malformed',
  'unknown_metric',
  'unknown_enum',
  'unsafe_integer',
  'oversized',
  'missing_field',
  'device_mismatch',
  'device_type_mismatch',
  'no_samples',
  'too_many_samples',
  'timestamp_in_future',
  'timestamp_too_old',
  'unit_mismatch',
  'value_out_of_range',
  'not_a_number',
  'missing_value',
]

export interface Rejection {
  reason: RejectReason
  detail: string
}

export interface ValidationLimits {
  maxPayloadBytes: number
  maxSamplesPerMessage: number
  /** A device clock this far ahead of the gateway's is wrong, not early. */
  maxFutureSkewMs: number
  /** Older readings (even backfill) are refused: retention would drop them anyway. */
  maxAgeMs: number
}

/** Qualities whose value is a measurement, and so must be plausible. Probe-off and friends carry no reading. */
const MEASURED = MEASURED_QUALITIES

/**
 * Pure validation of one telemetry publish (no I/O): size, decode, required fields, the
 * device id inside the payload against the authenticated connection, timestamp skew, units,
 * and plausible ranges. Bad device data is a value, not an exception (conventions §5).
 * `registryType` is the device's type in the registry: a payload claiming another type is refused,
 * since the registry, not the payload, picks the channel (issue #10, finding 2).
 */
export function validateTelemetry(
  connectionDeviceId: string,
  payload: Uint8Array,
  nowMs: number,
  limits: ValidationLimits,
  registryType?: DeviceType,
): Result<TelemetryEnvelope, Rejection> {
  if (payload.length > limits.maxPayloadBytes) {
    return err({ reason: 'oversized', detail: `${payload.length} bytes > ${limits.maxPayloadBytes}` })
  }
  const decoded = decodeTelemetry(payload)
  if (!decoded.ok) return err({ reason: decoded.error.reason, detail: decoded.error.message })
  const envelope = decoded.value
  if (!envelope.deviceId || !envelope.bootId || envelope.seq <= 0 || envelope.deviceTsMs <= 0) {
    return err({
      reason: 'missing_field',
      detail: 'device_id, boot_id, seq > 0 and device_ts_ms are required',
    })
  }
  if (envelope.deviceId !== connectionDeviceId) {
    return err({
      reason: 'device_mismatch',
      detail: `payload device ${envelope.deviceId} on connection ${connectionDeviceId}`,
    })
  }
  // UNSPECIFIED claims nothing, so it cannot disagree.
  if (registryType && envelope.deviceType !== 'unspecified' && envelope.deviceType !== registryType) {
    return err({
      reason: 'device_type_mismatch',
      detail: `payload device_type ${envelope.deviceType}; the registry says ${registryType}`,
    })
  }
  if (envelope.samples.length === 0)
    return err({ reason: 'no_samples', detail: 'a telemetry message carries samples' })
  if (envelope.samples.length > limits.maxSamplesPerMessage) {
    return err({
      reason: 'too_many_samples',
      detail: `${envelope.samples.length} > ${limits.maxSamplesPerMessage}`,
    })
  }
  const skew = checkTime(envelope.deviceTsMs, nowMs, limits)
  if (skew) return err(skew)
  for (const [index, sample] of envelope.samples.entries()) {
    const rejection = checkSample(index, sample, sampleTime(envelope, sample), nowMs, limits)
    if (rejection) return err(rejection)
  }
  return ok(envelope)
}

function checkTime(tsMs: number, nowMs: number, limits: ValidationLimits): Rejection | undefined {
  if (tsMs > nowMs + limits.maxFutureSkewMs) {
    return { reason: 'timestamp_in_future', detail: `${tsMs - nowMs} ms ahead of the gateway clock` }
  }
  if (tsMs < nowMs - limits.maxAgeMs) {
    return { reason: 'timestamp_too_old', detail: `${nowMs - tsMs} ms old` }
  }
  return undefined
}

function checkSample(
  index: number,
  sample: TelemetryEnvelope['samples'][number],
  tsMs: number,
  nowMs: number,
  limits: ValidationLimits,
): Rejection | undefined {
  const definition = METRICS[sample.metric]
  if (sample.ucum !== definition.ucum) {
    return {
      reason: 'unit_mismatch',
      detail: `samples[${index}] ${sample.metric} in "${sample.ucum}", expected "${definition.ucum}"`,
    }
  }
  // No value on the wire: nothing to range-check. The ingest drops the sample (missing-values.ts)
  // when its quality claims a measurement; a probe-off sample legitimately carries none.
  if (!sample.valueAbsent) {
    if (!Number.isFinite(sample.value))
      return { reason: 'not_a_number', detail: `samples[${index}] ${sample.metric}` }
    const [min, max] = definition.range
    if (MEASURED.has(sample.quality) && (sample.value < min || sample.value > max)) {
      return {
        reason: 'value_out_of_range',
        detail: `samples[${index}] ${sample.metric} ${sample.value} outside [${min}, ${max}]`,
      }
    }
  }
  const time = checkTime(tsMs, nowMs, limits)
  return time && { ...time, detail: `samples[${index}]: ${time.detail}` }
}
