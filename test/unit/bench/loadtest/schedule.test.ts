import { describe, expect, it } from 'vitest'
import { createSchedule, readingClock } from '../../../../bench/loadtest/schedule.js'

describe('unit > devices-sim > loadtest > schedule and reading times', () => {
  const schedule = createSchedule({
    devices: 7,
    ratePerSec: 350,
    durationMs: 3_000,
    rampUpMs: 1_000,
    samples: 5,
  })
  const clock = readingClock(schedule, 1_700_000_000_000)

  it('gives every device distinct, increasing reading times, so a point time names (seq, reading)', () => {
    for (let d = 0; d < schedule.devices; d++) {
      let previous = -Infinity
      for (let seq = 1; seq <= schedule.lastSeq(d); seq++) {
        const n = schedule.indexOf(d, seq)
        for (let i = 0; i < schedule.samples; i++) {
          const t = clock.readingTimeMs(n, i)
          expect(t).toBeGreaterThan(previous)
          previous = t
          expect(clock.locate(d, t)).toEqual({ seq, reading: i })
        }
        expect(clock.readingTimeMs(n, schedule.samples - 1)).toBe(clock.sendTimeMs(n))
      }
    }
  })

  it('answers undefined for a time that is no reading of the device', () => {
    const n = schedule.indexOf(3, 10)
    expect(clock.locate(3, clock.sendTimeMs(n) + 1)).toBeUndefined()
    expect(clock.locate(3, 0)).toBeUndefined()
  })

  it('counts messages per device consistently with the total', () => {
    const perDevice = Array.from({ length: schedule.devices }, (_, d) => schedule.lastSeq(d))
    expect(perDevice.reduce((a, b) => a + b, 0)).toBe(schedule.total)
    // 350/s, 1 s ramp: 175 during the ramp + 700 after.
    expect(schedule.total).toBe(875)
    expect(schedule.deviceIntervalMs).toBe(20)
    expect(schedule.readingSpacingMs).toBe(3)
  })
})
