import { describe, expect, it } from 'vitest'
import { desaturationScenario } from '../../../../../devices-sim/scenarios/desaturation/desaturation.js'
import { allEvents, HOUR_MS, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > desaturation', () => {
  it('plays a fixed episode: descent, plateau at the nadir, recovery, then nothing', () => {
    const instance = instantiate(desaturationScenario, {
      episodes: [{ atMs: 60_000, depth: 10, durationMs: 30_000, recoveryMs: 20_000 }],
    })
    expect(timeline(allEvents(instance))).toEqual([
      [60_000, 'desaturation-start'],
      [110_000, 'desaturation-end'],
    ])
    expect(allEvents(instance)[0]?.detail).toEqual({ nadir: 87, durationMs: 50_000 })
    const spo2 = (t: number): number | undefined => instance.signal(START_MS + t).overrides?.spo2
    expect(spo2(59_999)).toBeUndefined()
    expect(spo2(60_000)).toBe(97)
    expect(spo2(75_000)).toBe(87)
    expect(spo2(89_999)).toBe(87)
    expect(spo2(100_000)).toBeCloseTo(92, 6)
    expect(spo2(110_000)).toBeUndefined()
    expect(instance.signal(START_MS + 75_000).quality).toBeUndefined()
  })

  it('repeats random dips of 4–15 % for 20–60 s every 1–3 min', () => {
    const instance = instantiate(desaturationScenario, { durationMs: HOUR_MS }, 7)
    const events = allEvents(instance)
    const starts = events.filter((e) => e.event === 'desaturation-start')
    const ends = events.filter((e) => e.event === 'desaturation-end')
    expect(starts.length).toBeGreaterThanOrEqual(20)
    expect(starts.length).toBe(ends.length)
    expect(events.map((e) => e.atMs)).toEqual([...events.map((e) => e.atMs)].sort((a, b) => a - b))
    starts.forEach((start, i) => {
      const end = ends[i]
      const nadir = Number(start.detail?.nadir)
      expect(nadir).toBeGreaterThanOrEqual(97 - 15)
      expect(nadir).toBeLessThanOrEqual(97 - 4)
      const length = (end?.atMs ?? 0) - start.atMs
      expect(length).toBeGreaterThanOrEqual(20_000 + 10_000)
      expect(length).toBeLessThanOrEqual(60_000 + 30_000)
      // Mid-dip (after the descent, before recovery) the override sits below baseline − 4.
      expect(instance.signal(start.atMs + 15_000).overrides?.spo2).toBeLessThanOrEqual(93.0001)
      expect(instance.signal((end?.atMs ?? 0) + 500)).toEqual({})
      const next = starts[i + 1]
      if (next) {
        expect(next.atMs - start.atMs).toBeGreaterThanOrEqual(60_000)
        expect(next.atMs - start.atMs).toBeLessThanOrEqual(180_000)
      }
    })
    expect(instance.signal(START_MS + HOUR_MS + 10 * 60_000)).toEqual({})
  })

  it('is deterministic for a seed', () => {
    const a = allEvents(instantiate(desaturationScenario, {}, 3))
    expect(allEvents(instantiate(desaturationScenario, {}, 3))).toEqual(a)
    expect(allEvents(instantiate(desaturationScenario, {}, 4))).not.toEqual(a)
  })
})
