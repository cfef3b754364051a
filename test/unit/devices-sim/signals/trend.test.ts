import { describe, expect, it } from 'vitest'
import {
  delayedProgress,
  lerp,
  linearProgress,
  sigmoidProgress,
} from '../../../../devices-sim/signals/trend.js'

describe('devices-sim > signals > trend', () => {
  it('linear progress is clamped to 0…1', () => {
    expect(linearProgress(500, 1000, 1000)).toBe(0)
    expect(linearProgress(1500, 1000, 1000)).toBe(0.5)
    expect(linearProgress(3000, 1000, 1000)).toBe(1)
    expect(linearProgress(1000, 1000, 0)).toBe(1)
  })

  it('the sigmoid starts at 0, ends exactly at 1 and is monotone', () => {
    expect(sigmoidProgress(0, 0.7, 8)).toBeCloseTo(0, 12)
    expect(sigmoidProgress(1, 0.7, 8)).toBeCloseTo(1, 12)
    let previous = -1
    for (let p = 0; p <= 1; p += 0.01) {
      const value = sigmoidProgress(p, 0.7, 8)
      expect(value).toBeGreaterThanOrEqual(previous)
      previous = value
    }
    // A late centre keeps the curve low for most of the time.
    expect(sigmoidProgress(0.5, 0.7, 8)).toBeLessThan(0.3)
  })

  it('delayed progress stays 0 until the delay, then rises linearly', () => {
    expect(delayedProgress(0.5, 0.6)).toBe(0)
    expect(delayedProgress(0.8, 0.6)).toBeCloseTo(0.5, 12)
    expect(delayedProgress(1, 0.6)).toBe(1)
    expect(delayedProgress(0.99, 1)).toBe(0)
  })

  it('lerp interpolates', () => {
    expect(lerp(37.2, 39.3, 0.5)).toBeCloseTo(38.25, 12)
  })
})
