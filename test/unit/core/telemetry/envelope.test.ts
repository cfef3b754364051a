import { describe, expect, it } from 'vitest'
import {
  decodeTelemetry,
  encodeTelemetry,
  sampleTime,
  type TelemetryEnvelope,
} from '../../../../core/telemetry/envelope.js'
import { pulsewire } from '../../../../proto/gen/pulsewire.js'
import { protoFixtures } from '../../../helpers/fixtures.js'

const envelope: TelemetryEnvelope = {
  deviceId: 'bm-0001',
  bootId: 'boot-1',
  seq: 42,
  deviceTsMs: 1_764_054_000_000,
  deviceType: 'bedside-monitor',
  status: { batteryPct: undefined, rssiDbm: undefined, firmware: '2.4.1', onMainsPower: true },
  samples: [
    { metric: 'heart_rate', value: 72, ucum: '/min', quality: 'valid', tsMs: 0, backfill: false },
    { metric: 'spo2', value: 0, ucum: '%', quality: 'probe_off', tsMs: 1_764_053_999_000, backfill: true },
  ],
}

describe('core > telemetry > envelope', () => {
  it.each(protoFixtures('telemetry.v1').map((f) => [f.name, f] as const))(
    'decodes the golden v1 payload %s unchanged',
    (_name, fixture) => {
      const result = decodeTelemetry(fixture.payload)
      expect(result).toEqual({ ok: true, value: fixture.expected })
    },
  )

  it('round-trips every field through the wire format', () => {
    expect(decodeTelemetry(encodeTelemetry(envelope))).toEqual({ ok: true, value: envelope })
  })

  it('gives each sample its own reading time or the message time', () => {
    expect(sampleTime(envelope, envelope.samples[0]!)).toBe(envelope.deviceTsMs)
    expect(sampleTime(envelope, envelope.samples[1]!)).toBe(1_764_053_999_000)
  })

  it('returns a malformed result, never throws, for garbage and truncated bytes', () => {
    const bytes = encodeTelemetry(envelope)
    for (const bad of [
      Buffer.from('not protobuf at all \xff\xff'),
      bytes.subarray(0, bytes.length - 3),
      Buffer.from([0x0a, 0xff]),
    ]) {
      const result = decodeTelemetry(bad)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.reason).toBe('malformed')
    }
  })

  it('rejects metrics and enum values the registry does not know', () => {
    const unknownMetric = pulsewire.telemetry.v1.Telemetry.encode({
      deviceId: 'd',
      samples: [{ metric: 99 as pulsewire.telemetry.v1.Metric, value: 1 }],
    }).finish()
    expect(decodeTelemetry(unknownMetric)).toMatchObject({ ok: false, error: { reason: 'unknown_metric' } })
    const unknownQuality = pulsewire.telemetry.v1.Telemetry.encode({
      deviceId: 'd',
      samples: [{ metric: 1, quality: 42 as pulsewire.telemetry.v1.Quality }],
    }).finish()
    expect(decodeTelemetry(unknownQuality)).toMatchObject({ ok: false, error: { reason: 'unknown_enum' } })
  })

  it('rejects 64-bit integers that a JS number cannot hold exactly', () => {
    // Raw varints, as a hostile device would write them (protobufjs decodes int64 as numbers).
    const varint = (v: bigint): number[] => {
      const out: number[] = []
      do {
        const low = Number(v & 0x7fn)
        v >>= 7n
        out.push(v > 0n ? low | 0x80 : low)
      } while (v > 0n)
      return out
    }
    const withSeq = (seq: bigint): Uint8Array => {
      const head = pulsewire.telemetry.v1.Telemetry.encode({
        deviceId: 'd',
        deviceType: pulsewire.telemetry.v1.DeviceType.DEVICE_TYPE_BEDSIDE_MONITOR,
      }).finish()
      return Uint8Array.from([...head, 24, ...varint(seq)]) // field 3 (seq), wire type 0
    }
    for (const seq of [2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 53n]) {
      expect(decodeTelemetry(withSeq(seq)), String(seq)).toMatchObject({
        ok: false,
        error: { reason: 'unsafe_integer' },
      })
    }
    expect(decodeTelemetry(withSeq(2n ** 53n - 1n))).toMatchObject({
      ok: true,
      value: { seq: Number.MAX_SAFE_INTEGER },
    })
  })
})
