import { describe, expect, it } from 'vitest'
import { decodeTelemetry, type TelemetrySample } from '../../../../core/telemetry/envelope.js'
import type { SimDevice } from '../../../../devices-sim/profiles/profile.js'
import { createRng } from '../../../../devices-sim/rng.js'
import { createDeviceLoop } from '../../../../devices-sim/runtime/device-loop.js'
import { Ledger } from '../../../../devices-sim/runtime/ledger.js'
import type { DeviceTransport } from '../../../../devices-sim/runtime/mqtt-transport.js'
import type { ScenarioInstance, TransportEffects } from '../../../../devices-sim/scenarios/scenario.js'

/** A 1 Hz device producing one heart-rate sample per call, at its acquisition time. */
const sim: SimDevice = {
  deviceId: 'bm-1',
  type: 'bedside-monitor',
  reportIntervalMs: 1_000,
  sample: (nowMs): TelemetrySample[] => [
    { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: nowMs, backfill: false },
  ],
  status: () => ({ firmware: 't', onMainsPower: true }),
}

function fakeTransport() {
  const sent: Uint8Array[] = []
  const calls: string[] = []
  const transport: DeviceTransport = {
    connect: () => calls.push('connect'),
    isConnected: () => true,
    publish: (bytes) => {
      sent.push(bytes)
      return Promise.resolve()
    },
    dropConnection: () => calls.push('drop'),
    restoreConnection: () => calls.push('restore'),
    close: () => Promise.resolve(),
  }
  return { transport, sent, calls, decoded: () => sent.map((b) => decodeTelemetry(b)) }
}

const scenario = (transport: (t: number) => Partial<TransportEffects>): ScenarioInstance => ({
  signal: () => ({}),
  transport,
  events: () => [],
})

function run(effects: (t: number) => Partial<TransportEffects>, ticks: number) {
  const fake = fakeTransport()
  const ledger = new Ledger()
  const loop = createDeviceLoop({
    sim,
    scenarios: [scenario(effects)],
    transport: fake.transport,
    ledger,
    rng: createRng(1),
    bootId: 'b',
    reportsPerPublish: 1,
  })
  for (let i = 1; i <= ticks; i++) loop.tick(i * 1_000)
  return { ...fake, ledger, loop }
}

const seqs = (fake: ReturnType<typeof run>): Array<number | string> =>
  fake.decoded().map((r) => (r.ok ? r.value.seq : 'malformed'))

describe('devices-sim > runtime > device loop', () => {
  it('numbers publishes 1, 2, 3… and records them in the ledger', async () => {
    const r = run(() => ({}), 3)
    await Promise.resolve()
    expect(seqs(r)).toEqual([1, 2, 3])
    expect(r.ledger.ranges()[0]).toMatchObject({ firstSeq: 1, lastSeq: 3, published: 3, acked: 3 })
  })

  it('stores readings while offline and sends them as backfill after reconnecting', () => {
    const r = run((t) => ({ offline: t >= 2_000 && t <= 4_000, backfill: true }), 6)
    expect(r.calls).toEqual(['drop', 'restore'])
    const messages = r.decoded().flatMap((m) => (m.ok ? [m.value] : []))
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4])
    expect(messages[1]!.samples.map((s) => [s.tsMs, s.backfill])).toEqual([
      [2_000, true],
      [3_000, true],
      [4_000, true],
    ])
    expect(r.ledger.ranges()[0]).toMatchObject({ samples: 6, backfillSamples: 3 })
  })

  it('loses what a device without store-and-forward measured while offline', () => {
    const r = run((t) => ({ offline: t === 2_000 }), 3)
    expect(r.ledger.totals.samples).toBe(2)
  })

  it('injects duplicates, out-of-order sends and malformed bytes, and counts each', () => {
    const dup = run(() => ({ duplicateProbability: 1 }), 2)
    expect(seqs(dup)).toEqual([1, 1, 2, 2])
    expect(dup.ledger.totals.duplicatesSent).toBe(2)

    const reordered = run(() => ({ reorderProbability: 1 }), 3)
    expect(seqs(reordered)).toEqual([2, 1])
    reordered.loop.flush()
    expect(seqs(reordered)).toEqual([2, 1, 3])

    const malformed = run(() => ({ malformedProbability: 1 }), 2)
    expect(malformed.ledger.totals.malformedSent).toBe(2)
    expect(malformed.sent).toHaveLength(4)
    expect(malformed.ledger.totals.published).toBe(2)
  })

  it('skews the timestamps a device writes, not when it measures', () => {
    const r = run(() => ({ clockOffsetMs: 90_000 }), 2)
    const messages = r.decoded().flatMap((m) => (m.ok ? [m.value] : []))
    expect(messages.map((m) => [m.deviceTsMs, m.samples[0]!.tsMs])).toEqual([
      [91_000, 91_000],
      [92_000, 92_000],
    ])
  })
  it('shows every generated sample to the ground-truth tap in true time, sent or not', () => {
    const fake = fakeTransport()
    const tapped: Array<[string, number]> = []
    const loop = createDeviceLoop({
      sim,
      // 90 s fast from the start, offline at 2–3 s without store-and-forward.
      scenarios: [scenario((t) => ({ clockOffsetMs: 90_000, offline: t >= 2_000 && t <= 3_000 }))],
      transport: fake.transport,
      ledger: new Ledger(),
      rng: createRng(1),
      bootId: 'b',
      reportsPerPublish: 1,
      onSamples: (deviceId, samples) =>
        tapped.push(...samples.map((s): [string, number] => [deviceId, s.tsMs])),
    })
    for (let i = 1; i <= 4; i++) loop.tick(i * 1_000)
    expect(tapped).toEqual([
      ['bm-1', 1_000],
      ['bm-1', 2_000],
      ['bm-1', 3_000],
      ['bm-1', 4_000],
    ])
    // What went out carries the skewed clock, and the offline samples never did.
    const sent = fake.decoded().flatMap((m) => (m.ok ? m.value.samples.map((s) => s.tsMs) : []))
    expect(sent).toEqual([91_000, 94_000])
  })
})
