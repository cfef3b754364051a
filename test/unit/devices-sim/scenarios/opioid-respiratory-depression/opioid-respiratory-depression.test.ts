import { describe, expect, it } from 'vitest'
import { opioidRespiratoryDepressionScenario } from '../../../../../devices-sim/scenarios/opioid-respiratory-depression/opioid-respiratory-depression.js'
import { allEvents, instantiate, START_MS } from '../run-scenario.js'

const DURATION = 600_000
const NADIR = START_MS + DURATION

describe('devices-sim > scenarios > opioid-respiratory-depression', () => {
  const instance = instantiate(opioidRespiratoryDepressionScenario, { durationMs: DURATION, holdMs: 300_000 })
  const events = allEvents(instance)

  it('marks onset, RR ≤ 8, each apnoeic pause, the RR nadir and the lagging SpO2 nadir', () => {
    expect(events[0]).toMatchObject({ atMs: START_MS, event: 'opioid-start' })
    // RR 14 → 6 linearly reaches 8 at 75 % of the course.
    expect(events.find((e) => e.event === 'respiratory-depression')?.atMs).toBe(START_MS + 0.75 * DURATION)
    expect(events.find((e) => e.event === 'opioid-nadir')?.atMs).toBe(NADIR)
    const lag = (events.find((e) => e.event === 'spo2-nadir')?.atMs ?? 0) - NADIR
    expect(lag).toBeGreaterThanOrEqual(120_000)
    expect(lag).toBeLessThanOrEqual(300_000)
    expect(events.map((e) => e.atMs)).toEqual([...events.map((e) => e.atMs)].sort((a, b) => a - b))
  })

  it('pauses breathing (RR override 0) for 15–30 s, only after RR is depressed', () => {
    const starts = events.filter((e) => e.event === 'apnea-start')
    expect(starts.length).toBeGreaterThan(0)
    for (const start of starts) {
      const length = Number(start.detail?.durationMs)
      expect(length).toBeGreaterThanOrEqual(15_000)
      expect(length).toBeLessThanOrEqual(30_000)
      expect(start.atMs).toBeGreaterThanOrEqual(START_MS + 0.75 * DURATION)
      expect(start.atMs).toBeLessThan(NADIR + 300_000)
      expect(instance.signal(start.atMs + 5000).overrides).toEqual({ respiration_rate: 0 })
      expect(instance.signal(start.atMs + length).overrides).toBeUndefined()
    }
    expect(instance.signal(START_MS + 60_000).overrides).toBeUndefined()
  })

  it('lowers RR by 8 and SpO2 by 11 with a lag, HR slightly', () => {
    expect(instance.signal(START_MS - 1)).toEqual({})
    const at = (t: number) => instance.signal(t).offsets ?? {}
    expect(at(NADIR).respiration_rate).toBeCloseTo(-8, 6)
    expect(at(NADIR).heart_rate).toBeCloseTo(-5, 6)
    expect(at(NADIR).spo2 ?? 0).toBeGreaterThan(-11)
    expect(at(NADIR + 300_000).spo2).toBeCloseTo(-11, 6)
    // SpO2 trails RR at every point of the course.
    for (let t = START_MS; t <= NADIR; t += 30_000) {
      expect((at(t).spo2 ?? 0) / -11).toBeLessThanOrEqual((at(t).respiration_rate ?? 0) / -8 + 1e-9)
    }
  })

  it('has no pauses when RR never gets down to the threshold', () => {
    const mild = instantiate(opioidRespiratoryDepressionScenario, {
      durationMs: DURATION,
      respirationRate: [14, 10],
    })
    expect(allEvents(mild).map((e) => e.event)).toEqual(['opioid-start', 'opioid-nadir', 'spo2-nadir'])
  })
})
