import { describe, expect, it } from 'vitest'
import { createRng } from '../../../../devices-sim/rng.js'
import { createOu } from '../../../../devices-sim/signals/ou.js'

const draw = (seed: number, n: number, dtMs: number, tauMs = 10_000, sigma = 2): number[] => {
  const ou = createOu({ tauMs, sigma, rng: createRng(seed) })
  return Array.from({ length: n }, () => ou.advance(dtMs))
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

describe('devices-sim > signals > ou', () => {
  it('has the stationary mean 0 and standard deviation sigma', () => {
    const xs = draw(7, 50_000, 5000)
    const m = mean(xs)
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)))
    expect(Math.abs(m)).toBeLessThan(0.1)
    expect(sd).toBeGreaterThan(1.9)
    expect(sd).toBeLessThan(2.1)
  })

  it('reverts to the mean with lag-1 autocorrelation exp(-dt/tau) (exact discretisation)', () => {
    for (const dtMs of [1000, 10_000]) {
      const xs = draw(3, 50_000, dtMs)
      const m = mean(xs)
      const cov = mean(xs.slice(1).map((x, i) => (x - m) * ((xs[i] ?? 0) - m)))
      const variance = mean(xs.map((x) => (x - m) ** 2))
      expect(cov / variance).toBeCloseTo(Math.exp(-dtMs / 10_000), 1)
    }
  })

  it('is deterministic for a seed and differs between seeds', () => {
    expect(draw(11, 100, 1000)).toEqual(draw(11, 100, 1000))
    expect(draw(11, 100, 1000)).not.toEqual(draw(12, 100, 1000))
  })

  it('advances to absolute times, never backwards, and keeps its value for dt <= 0', () => {
    const ou = createOu({ tauMs: 1000, sigma: 1, rng: createRng(1), startMs: 5000, initial: 3 })
    expect(ou.at(5000)).toBe(3)
    expect(ou.at(4000)).toBe(3)
    const later = ou.at(6000)
    expect(later).not.toBe(3)
    expect(ou.value()).toBe(later)
  })

  it('starts at the given initial value and decays towards 0 without noise', () => {
    const ou = createOu({ tauMs: 1000, sigma: 0, rng: createRng(1), initial: 10 })
    expect(ou.advance(1000)).toBeCloseTo(10 * Math.exp(-1), 10)
  })

  it('rejects a non-positive tau', () => {
    expect(() => createOu({ tauMs: 0, sigma: 1, rng: createRng(1) })).toThrow(RangeError)
  })
})
