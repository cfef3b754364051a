import { describe, expect, it } from 'vitest'
import { circadian } from '../../../../devices-sim/signals/circadian.js'

const at = (hour: number): number => Date.UTC(2026, 0, 15) + hour * 3_600_000

describe('devices-sim > signals > circadian', () => {
  it('peaks at peakHour, bottoms out 12 h later, and repeats every 24 h', () => {
    const options = { amplitude: 5, peakHour: 16 }
    expect(circadian(at(16), options)).toBeCloseTo(5, 10)
    expect(circadian(at(4), options)).toBeCloseTo(-5, 10)
    expect(circadian(at(10), options)).toBeCloseTo(0, 10)
    expect(circadian(at(16 + 24), options)).toBeCloseTo(circadian(at(16), options), 10)
  })

  it('handles times before the epoch', () => {
    expect(circadian(-3_600_000, { amplitude: 1, peakHour: 23 })).toBeCloseTo(1, 10)
  })
})
