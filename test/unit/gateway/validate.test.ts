import { describe, expect, it } from 'vitest'
import {
  encodeTelemetry,
  type TelemetryEnvelope,
  type TelemetrySample,
} from '../../../core/telemetry/envelope.js'
import { validateTelemetry, type ValidationLimits } from '../../../gateway/validate.js'

const NOW = 1_764_054_000_000
const limits: ValidationLimits = {
  maxPayloadBytes: 2_048,
  maxSamplesPerMessage: 10,
  maxFutureSkewMs: 300_000,
  maxAgeMs: 86_400_000,
}
const hr: TelemetrySample = {
  metric: 'heart_rate',
  value: 72,
  ucum: '/min',
  quality: 'valid',
  tsMs: 0,
  backfill: false,
}

function envelope(overrides: Partial<TelemetryEnvelope> = {}): TelemetryEnvelope {
  return {
    deviceId: 'bm-1',
    bootId: 'b',
    seq: 1,
    deviceTsMs: NOW - 100,
    deviceType: 'bedside-monitor',
    samples: [hr],
    ...overrides,
  }
}

const check = (env: TelemetryEnvelope | Uint8Array, device = 'bm-1') =>
  validateTelemetry(device, env instanceof Uint8Array ? env : encodeTelemetry(env), NOW, limits)

const reason = (env: TelemetryEnvelope | Uint8Array, device = 'bm-1'): string | undefined => {
  const result = check(env, device)
  return result.ok ? undefined : result.error.reason
}

describe('gateway > validate', () => {
  it('accepts a well-formed publish from the connected device', () => {
    expect(check(envelope())).toMatchObject({ ok: true, value: { deviceId: 'bm-1', seq: 1 } })
  })

  it('rejects payloads by size before decoding them', () => {
    expect(reason(new Uint8Array(limits.maxPayloadBytes + 1))).toBe('oversized')
  })

  it('rejects bytes that are not protobuf, and truncated messages', () => {
    expect(reason(Buffer.from('{"hr": 72}'))).toBe('malformed')
    const bytes = encodeTelemetry(envelope())
    expect(reason(bytes.subarray(0, bytes.length - 2))).toBe('malformed')
  })

  it('requires the identity fields', () => {
    expect(reason(envelope({ bootId: '' }))).toBe('missing_field')
    expect(reason(envelope({ seq: 0 }))).toBe('missing_field')
    expect(reason(envelope({ deviceTsMs: 0 }))).toBe('missing_field')
  })

  it('refuses a payload whose device id is not the connection’s', () => {
    expect(reason(envelope({ deviceId: 'bm-2' }))).toBe('device_mismatch')
  })

  it('bounds the number of samples', () => {
    expect(reason(envelope({ samples: [] }))).toBe('no_samples')
    expect(reason(envelope({ samples: Array.from({ length: 11 }, () => hr) }))).toBe('too_many_samples')
  })

  it('rejects clocks too far ahead and readings too old, at message and sample level', () => {
    expect(reason(envelope({ deviceTsMs: NOW + 300_001 }))).toBe('timestamp_in_future')
    expect(reason(envelope({ deviceTsMs: NOW - 86_400_001 }))).toBe('timestamp_too_old')
    expect(reason(envelope({ samples: [{ ...hr, tsMs: NOW + 600_000 }] }))).toBe('timestamp_in_future')
    expect(check(envelope({ deviceTsMs: NOW + 299_000 })).ok).toBe(true)
  })

  it('checks units and plausible ranges of measured values, not of probe-off placeholders', () => {
    expect(reason(envelope({ samples: [{ ...hr, ucum: 'bpm' }] }))).toBe('unit_mismatch')
    expect(reason(envelope({ samples: [{ ...hr, value: 400 }] }))).toBe('value_out_of_range')
    expect(reason(envelope({ samples: [{ ...hr, value: Number.NaN }] }))).toBe('not_a_number')
    const probeOffTemperature: TelemetrySample = {
      metric: 'body_temperature',
      value: 0,
      ucum: 'Cel',
      quality: 'probe_off',
      tsMs: 0,
      backfill: false,
    }
    expect(check(envelope({ samples: [probeOffTemperature] })).ok).toBe(true)
  })
})

describe('gateway > validate > the registry picks the device type (issue #10, finding 2)', () => {
  const typed = (env: TelemetryEnvelope) =>
    validateTelemetry('bm-1', encodeTelemetry(env), NOW, limits, 'environmental-sensor')

  it('refuses a payload whose device_type disagrees with the registry', () => {
    const result = typed(envelope())
    expect(result).toMatchObject({ ok: false, error: { reason: 'device_type_mismatch' } })
    expect(result.ok ? '' : result.error.detail).toContain('the registry says environmental-sensor')
  })

  it('accepts the registry type, an unspecified one, and any type when the registry has none', () => {
    expect(typed(envelope({ deviceType: 'environmental-sensor' })).ok).toBe(true)
    expect(typed(envelope({ deviceType: 'unspecified' })).ok).toBe(true)
    expect(check(envelope({ deviceType: 'wearable' })).ok).toBe(true)
  })
})
