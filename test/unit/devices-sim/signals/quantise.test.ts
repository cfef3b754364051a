import { describe, expect, it } from 'vitest'
import {
  clamp,
  clampToRange,
  quantise,
  quantiseToResolution,
  toDeviceValue,
} from '../../../../devices-sim/signals/quantise.js'

describe('devices-sim > signals > quantise', () => {
  it('rounds to the step without float noise or negative zero', () => {
    expect(quantise(0.1 + 0.2, 0.1)).toBe(0.3)
    expect(quantise(21.4449, 0.01)).toBe(21.44)
    expect(quantise(97.5, 1)).toBe(98)
    expect(quantise(-0.2, 1)).toBe(0)
    expect(Object.is(quantise(-0.2, 1), -0)).toBe(false)
    expect(quantise(0.26, 0.25)).toBe(0.25)
    expect(() => quantise(1, 0)).toThrow(RangeError)
  })

  it("uses the metric's resolution and range from METRICS", () => {
    expect(quantiseToResolution('spo2', 96.6)).toBe(97)
    expect(quantiseToResolution('body_temperature', 37.04)).toBe(37)
    expect(quantiseToResolution('ambient_temperature', 21.456)).toBe(21.46)
    expect(clampToRange('spo2', 101.3)).toBe(100)
    expect(clampToRange('body_temperature', 12)).toBe(25)
    expect(clamp(5, 0, 3)).toBe(3)
  })

  it('clamps then quantises, so the result stays in range', () => {
    expect(toDeviceValue('spo2', 100.4)).toBe(100)
    expect(toDeviceValue('heart_rate', -3)).toBe(0)
    expect(toDeviceValue('barometric_pressure', 1013.254)).toBe(1013.25)
  })
})
