import protobuf from 'protobufjs/minimal.js'
import { describe, expect, it } from 'vitest'
import {
  DEVICE_TYPES,
  QUALITIES,
  decodeTelemetry,
  encodeTelemetry,
  type TelemetryEnvelope,
} from '../../../../core/telemetry/envelope.js'
import { METRIC_NAMES } from '../../../../core/telemetry/metric-registry.js'
import { readReadings, type Readings } from '../../../../core/telemetry/readings.js'
import { createRandom, randomText } from '../../../helpers/hostile-text.js'
import { envelope, sample } from '../../../helpers/telemetry-fixtures.js'

const T = Date.UTC(2026, 0, 1, 12)

/** What storage reads of a message, from the columns. */
function view(r: Readings) {
  return {
    deviceId: r.deviceId,
    deviceTsMs: r.deviceTsMs,
    deviceType: r.deviceType,
    samples: Array.from({ length: r.count }, (_, k) => ({
      metric: METRIC_NAMES[r.metric[k] as number],
      value: r.value[k],
      quality: QUALITIES[r.quality[k] as number],
      tsMs: r.tsMs[k],
      backfill: r.backfill[k] === 1,
    })),
  }
}

/** The same, from decodeTelemetry's envelope. */
function viewOf(e: TelemetryEnvelope) {
  return {
    deviceId: e.deviceId,
    deviceTsMs: e.deviceTsMs,
    deviceType: e.deviceType,
    samples: e.samples.map(({ metric, value, quality, tsMs, backfill }) => ({
      metric,
      value,
      quality,
      tsMs,
      backfill,
    })),
  }
}

/** Whenever the reader accepts bytes, decodeTelemetry accepts them with the same readings. */
function expectAgrees(bytes: Uint8Array): boolean {
  const readings = readReadings(bytes)
  if (!readings) return false
  const seen = view(readings)
  const decoded = decodeTelemetry(bytes)
  expect(decoded.ok, Buffer.from(bytes).toString('hex')).toBe(true)
  if (decoded.ok) expect(seen).toEqual(viewOf(decoded.value))
  return true
}

const pick = <V>(random: () => number, list: readonly V[]): V => list[Math.floor(random() * list.length)] as V

function randomEnvelope(random: () => number, i: number): TelemetryEnvelope {
  const samples = Array.from({ length: Math.floor(random() * 12) }, () =>
    sample(pick(random, METRIC_NAMES), random() < 0.2 ? 0 : (random() - 0.3) * 1_000, {
      tsMs: pick(random, [0, T - 1_000, T, T + 7]),
      quality: pick(random, QUALITIES),
      backfill: random() < 0.2,
    }),
  )
  const reading = envelope(
    randomText(random) || `dev-${i}`,
    i + 1,
    T + i,
    samples,
    pick(random, DEVICE_TYPES),
  )
  if (random() < 0.5) {
    reading.status = {
      batteryPct: random() < 0.5 ? Math.floor(random() * 100) : undefined,
      rssiDbm: random() < 0.5 ? -Math.floor(random() * 90) : undefined,
      firmware: random() < 0.8 ? 'fw-1.2.3' : 'fw-ünï',
      onMainsPower: random() < 0.5,
    }
  }
  return reading
}

describe('core > telemetry > readings', () => {
  it('reads a plain message as decodeTelemetry does, status and all', () => {
    const reading = envelope('bed-1', 9, T, [
      sample('heart_rate', 72),
      sample('spo2', 0, { quality: 'probe_off', tsMs: T - 1_000, backfill: true }),
    ])
    reading.status = { batteryPct: 80, rssiDbm: -60, firmware: '1.0', onMainsPower: true }
    expect(expectAgrees(encodeTelemetry(reading))).toBe(true)
    expect(expectAgrees(encodeTelemetry(envelope('empty', 1, T, [])))).toBe(true)
  })

  it('gives up on what only decodeTelemetry may judge: unknown fields, non-ASCII units, bad bytes', () => {
    const plain = encodeTelemetry(envelope('bed-1', 1, T, [sample('heart_rate', 72)]))
    const unknownField = protobuf.Writer.create()
      .uint32((15 << 3) | 0)
      .uint32(1)
      .finish()
    const cases = {
      unknownField: Buffer.concat([plain, unknownField]),
      nonAsciiUnit: encodeTelemetry(envelope('bed-1', 1, T, [{ ...sample('heart_rate', 72), ucum: '°C' }])),
      unknownMetric: Buffer.concat([
        plain,
        protobuf.Writer.create()
          .uint32((7 << 3) | 2)
          .fork()
          .uint32(8)
          .uint32(999)
          .ldelim()
          .finish(),
      ]),
      unsafeSeq: encodeTelemetry({ ...envelope('bed-1', 1, T, []), seq: 2 ** 60 }),
      truncated: plain.subarray(0, plain.length - 1),
      garbage: Buffer.from('not protobuf \xff\xff'),
    }
    for (const [name, bytes] of Object.entries(cases)) expect(readReadings(bytes), name).toBeUndefined()
    // decodeTelemetry accepts the unknown field and the unit: those still reach storage that way.
    expect(decodeTelemetry(cases.unknownField).ok && decodeTelemetry(cases.nonAsciiUnit).ok).toBe(true)
  })

  it('agrees with decodeTelemetry on random messages, and reads every plain one (seeded, 2,000)', () => {
    const random = createRandom(7)
    for (let i = 0; i < 2_000; i++) {
      const reading = randomEnvelope(random, i)
      const bytes = encodeTelemetry(reading)
      // Plain: ASCII firmware, and text the encoder could write as UTF-8 (no lone surrogate).
      const plain = reading.status?.firmware.startsWith('fw-1') !== false && decodeTelemetry(bytes).ok
      expect(expectAgrees(bytes)).toBe(plain)
    }
  })

  it('never accepts bytes decodeTelemetry refuses: mutated, truncated and random payloads (seeded, 6,000)', () => {
    const random = createRandom(99)
    let accepted = 0
    for (let i = 0; i < 6_000; i++) {
      const bytes = Buffer.from(encodeTelemetry(randomEnvelope(random, i)))
      const mutation = Math.floor(random() * 4)
      let mutated: Buffer
      if (mutation === 0) {
        mutated = Buffer.from(bytes)
        for (let f = 0; f < 1 + random() * 3; f++) {
          const at = Math.floor(random() * mutated.length)
          mutated[at] = (mutated[at] ?? 0) ^ (1 << Math.floor(random() * 8))
        }
      } else if (mutation === 1) mutated = bytes.subarray(0, Math.floor(random() * bytes.length))
      else if (mutation === 2) {
        const at = Math.floor(random() * (bytes.length + 1))
        const noise = Buffer.from(
          Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * 256)),
        )
        mutated = Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)])
      } else
        mutated = Buffer.from(
          Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)),
        )
      if (expectAgrees(mutated)) accepted++
    }
    // The loop means something only if many mutated payloads still decode.
    expect(accepted).toBeGreaterThan(250)
  })
})
