import { describe, expect, it } from 'vitest'
import { sepsisScenario } from '../../../../../devices-sim/scenarios/sepsis/sepsis.js'
import { allEvents, HOUR_MS, instantiate, START_MS, timeline } from '../run-scenario.js'

const config = { startAfterMs: 60_000, durationMs: 600_000 }
const ONSET = START_MS + 60_000
const PEAK = ONSET + 600_000

describe('devices-sim > scenarios > sepsis', () => {
  const instance = instantiate(sepsisScenario, config)

  it('marks the start, the NEWS2 band changes and the peak', () => {
    const events = allEvents(instance)
    expect(events[0]).toMatchObject({ atMs: ONSET, event: 'sepsis-start', detail: { news2: 0, band: 'low' } })
    expect(events.at(-1)).toMatchObject({
      atMs: PEAK,
      event: 'sepsis-peak',
      detail: { news2: 12, band: 'high' },
    })
    const phases = events.filter((e) => e.event === 'sepsis-phase')
    expect(phases.length).toBeGreaterThan(0)
    expect(phases.every((e) => e.atMs > ONSET && e.atMs < PEAK)).toBe(true)
    const ranks = ['low', 'low-medium', 'medium', 'high']
    const bands = phases.map((e) => ranks.indexOf(String(e.detail?.band)))
    expect(bands).toEqual([...bands].sort((a, b) => a - b))
    expect(instance.events(ONSET - 1, ONSET).map((e) => e.event)).toEqual(['sepsis-start'])
    expect(instance.events(ONSET, ONSET + 1)).toEqual([])
  })

  it('phases over 6 h by default pass through the medium and high bands', () => {
    const events = allEvents(instantiate(sepsisScenario, {}))
    const bands = events.map((e) => e.detail?.band)
    expect(bands).toContain('medium')
    expect(timeline(events).at(-1)).toEqual([6 * HOUR_MS, 'sepsis-peak'])
  })

  it('dates the band changes of a trajectory compressed to minutes to the second', () => {
    const compressed = instantiate(sepsisScenario, { startAfterMs: 60_000, durationMs: 180_000 })
    const phases = allEvents(compressed).filter((e) => e.event === 'sepsis-phase')
    expect(phases.map((e) => e.detail?.band)).toEqual(['medium', 'high'])
    // On the one-second grid from onset, not the minute grid a 6 h run uses.
    for (const e of phases) expect((e.atMs - ONSET) % 1_000).toBe(0)
    expect(phases.some((e) => (e.atMs - ONSET) % 60_000 !== 0)).toBe(true)
  })

  it('has no effect before onset and reaches the checklist deltas exactly at the peak, then holds', () => {
    expect(instance.signal(ONSET - 1)).toEqual({})
    const expected = {
      body_temperature: 2.1,
      heart_rate: 42,
      respiration_rate: 10,
      nibp_systolic: -36,
      nibp_diastolic: -24,
      spo2: -4,
    }
    for (const t of [PEAK, PEAK + HOUR_MS]) {
      const offsets = instance.signal(t).offsets ?? {}
      for (const [metric, delta] of Object.entries(expected)) {
        expect(offsets[metric as keyof typeof offsets]).toBeCloseTo(delta, 6)
      }
    }
  })

  it('moves monotonically, with blood pressure and SpO2 falling late', () => {
    let previous = instance.signal(ONSET).offsets ?? {}
    for (let t = ONSET + 10_000; t <= PEAK; t += 10_000) {
      const offsets = instance.signal(t).offsets ?? {}
      expect(offsets.heart_rate ?? 0).toBeGreaterThanOrEqual(previous.heart_rate ?? 0)
      expect(offsets.body_temperature ?? 0).toBeGreaterThanOrEqual(previous.body_temperature ?? 0)
      expect(offsets.nibp_systolic ?? 0).toBeLessThanOrEqual(previous.nibp_systolic ?? 0)
      expect(offsets.spo2 ?? 0).toBeLessThanOrEqual(previous.spo2 ?? 0)
      previous = offsets
    }
    const half = instance.signal(ONSET + 300_000).offsets ?? {}
    expect(half.heart_rate ?? 0).toBeGreaterThan(0.5 * 42)
    expect(Math.abs(half.nibp_systolic ?? 0)).toBeLessThan(0.3 * 36)
    expect(half.spo2 ?? 1).toBeCloseTo(0, 10)
  })

  it('is pure: the same time gives the same effects, and it never touches the transport', () => {
    expect(instance.signal(ONSET + 123_456)).toEqual(instance.signal(ONSET + 123_456))
    expect(instance.transport(PEAK)).toEqual({})
  })
})
