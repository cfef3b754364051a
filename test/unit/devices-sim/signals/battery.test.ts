import { describe, expect, it } from 'vitest'
import { createBattery } from '../../../../devices-sim/signals/battery.js'

const HOUR_MS = 3_600_000

describe('devices-sim > signals > battery', () => {
  it('declines monotonically at its own drain plus the extra drain, floored at 0', () => {
    const battery = createBattery({ startPct: 100, drainPerHour: 1, startMs: 0 })
    expect(battery.advanceTo(HOUR_MS, 0)).toBeCloseTo(99, 10)
    expect(battery.advanceTo(2 * HOUR_MS, 29)).toBeCloseTo(69, 10)
    expect(battery.advanceTo(HOUR_MS, 0)).toBeCloseTo(69, 10)
    expect(battery.advanceTo(10 * HOUR_MS, 29)).toBe(0)
  })

  it('peeks ahead with the last drain without changing its state', () => {
    const battery = createBattery({ startPct: 50, drainPerHour: 0, startMs: 0 })
    battery.advanceTo(HOUR_MS, 10)
    expect(battery.peek(2 * HOUR_MS)).toBeCloseTo(30, 10)
    expect(battery.peek(HOUR_MS)).toBeCloseTo(40, 10)
  })
})
