// The properties the decoder fuzz holds on every input, shared by the unit test (short form)
// and `npm run fuzz` (long form). A violated property throws, so fast-check reports the seed
// and shrinks the input.
import { performance } from 'node:perf_hooks'
import { isDeepStrictEqual } from 'node:util'
import {
  decodeTelemetry,
  encodeTelemetry,
  QUALITIES,
  sampleTime,
  type TelemetryEnvelope,
} from '../../core/telemetry/envelope.js'
import { METRICS } from '../../core/telemetry/metric-registry.js'
import {
  REJECT_REASONS,
  validateTelemetry,
  type RejectReason,
  type ValidationLimits,
} from '../../gateway/validate.js'
import { FUZZ_MAX_PAYLOAD, FUZZ_NOW_MS } from './payload-inputs.js'

export const FUZZ_LIMITS: ValidationLimits = {
  maxPayloadBytes: FUZZ_MAX_PAYLOAD,
  maxSamplesPerMessage: 2_000,
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 7 * 24 * 3_600_000,
}
const DECODE_REASONS = new Set<string>(['malformed', 'unknown_metric', 'unknown_enum', 'unsafe_integer'])
const REASONS = new Set<string>(REJECT_REASONS)
const MEASURED = new Set(['valid', 'questionable', 'unspecified'])

export interface DecodeFuzzStats {
  inputs: number
  bytes: number
  decoded: number
  accepted: number
  rejected: Partial<Record<RejectReason, number>>
  maxInputMs: number
  maxInputBytes: number
}

export const emptyStats = (): DecodeFuzzStats => ({
  inputs: 0,
  bytes: 0,
  decoded: 0,
  accepted: 0,
  rejected: {},
  maxInputMs: 0,
  maxInputBytes: 0,
})

class PropertyViolation extends Error {
  override name = 'PropertyViolation'
}
function hold(condition: boolean, what: string): void {
  if (!condition) throw new PropertyViolation(what)
}

function checkAccepted(
  envelope: TelemetryEnvelope,
  deviceId: string,
  nowMs: number,
  limits: ValidationLimits,
): void {
  hold(envelope.deviceId === deviceId && envelope.bootId !== '', 'accepted: identity fields')
  hold(Number.isSafeInteger(envelope.seq) && envelope.seq > 0, `accepted: seq ${envelope.seq}`)
  hold(
    envelope.samples.length >= 1 && envelope.samples.length <= limits.maxSamplesPerMessage,
    'accepted: sample count',
  )
  const inWindow = (t: number): boolean =>
    Number.isSafeInteger(t) && t <= nowMs + limits.maxFutureSkewMs && t >= nowMs - limits.maxAgeMs
  hold(inWindow(envelope.deviceTsMs), `accepted: device_ts_ms ${envelope.deviceTsMs}`)
  for (const s of envelope.samples) {
    const def = METRICS[s.metric]
    hold(def !== undefined, `accepted: unknown metric ${s.metric}`)
    hold(Number.isFinite(s.value), `accepted: non-finite value ${s.value}`)
    hold(s.ucum === def.ucum, `accepted: unit ${s.ucum} for ${s.metric}`)
    hold((QUALITIES as readonly string[]).includes(s.quality), `accepted: quality ${s.quality}`)
    if (MEASURED.has(s.quality))
      hold(
        s.value >= def.range[0] && s.value <= def.range[1],
        `accepted: ${s.metric} ${s.value} out of range`,
      )
    hold(inWindow(sampleTime(envelope, s)), `accepted: sample time ${s.tsMs}`)
  }
  // What the gateway accepted, the processors decode the same way after a re-encode.
  const again = decodeTelemetry(encodeTelemetry(envelope))
  hold(
    again.ok && isDeepStrictEqual(again.value, envelope),
    'accepted: re-encoded envelope decodes differently',
  )
}

function validateOnce(
  bytes: Uint8Array,
  deviceId: string,
  nowMs: number,
  limits: ValidationLimits,
  stats: DecodeFuzzStats,
): void {
  let result: ReturnType<typeof validateTelemetry>
  try {
    result = validateTelemetry(deviceId, bytes, nowMs, limits)
  } catch (cause) {
    throw new PropertyViolation(`validateTelemetry threw: ${String(cause)}`)
  }
  if (result.ok) {
    stats.accepted++
    checkAccepted(result.value, deviceId, nowMs, limits)
    return
  }
  hold(
    REASONS.has(result.error.reason),
    `validate: reason ${String(result.error.reason)} not in the closed set`,
  )
  hold(typeof result.error.detail === 'string', 'validate: detail is a string')
  stats.rejected[result.error.reason] = (stats.rejected[result.error.reason] ?? 0) + 1
}

/**
 * One input through decode and validate: never throws, every error reason in the closed set,
 * every accepted envelope within the validator's invariants, and bounded time.
 * Validated twice: as its own device at its own time (so that acceptance is reachable), and
 * as another device at a fixed clock.
 */
export function checkPayload(
  bytes: Uint8Array,
  stats: DecodeFuzzStats,
  maxInputMs: number,
  limits = FUZZ_LIMITS,
): void {
  const started = performance.now()
  let decoded: ReturnType<typeof decodeTelemetry>
  try {
    decoded = decodeTelemetry(bytes)
  } catch (cause) {
    throw new PropertyViolation(`decodeTelemetry threw: ${String(cause)}`)
  }
  if (decoded.ok) {
    stats.decoded++
    const { deviceId, deviceTsMs } = decoded.value
    validateOnce(bytes, deviceId, deviceTsMs > 0 ? deviceTsMs : FUZZ_NOW_MS, limits, stats)
  } else {
    hold(
      DECODE_REASONS.has(decoded.error.reason),
      `decode: reason ${decoded.error.reason} not in the closed set`,
    )
    hold(typeof decoded.error.message === 'string', 'decode: message is a string')
  }
  validateOnce(bytes, 'fuzz-other-device', FUZZ_NOW_MS, limits, stats)
  const ms = performance.now() - started
  stats.inputs++
  stats.bytes += bytes.length
  stats.maxInputBytes = Math.max(stats.maxInputBytes, bytes.length)
  stats.maxInputMs = Math.max(stats.maxInputMs, ms)
  hold(ms <= maxInputMs, `one input took ${ms.toFixed(1)} ms (> ${maxInputMs} ms), ${bytes.length} bytes`)
}
