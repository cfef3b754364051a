import { describe, expect, it } from 'vitest'
import { clockSkewScenario } from '../../../../../devices-sim/scenarios/clock-skew/clock-skew.js'
import { allEvents, HOUR_MS, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > clock-skew', () => {
  it('runs the clock 90 s fast from the start, for good', () => {
    const instance = instantiate(clockSkewScenario, {})
    expect(allEvents(instance)).toMatchObject([
      { atMs: START_MS, event: 'clock-skew', detail: { clockOffsetMs: 90_000 } },
    ])
    expect(instance.transport(START_MS - 1)).toEqual({})
    expect(instance.transport(START_MS)).toEqual({ clockOffsetMs: 90_000 })
    expect(instance.transport(START_MS + 48 * HOUR_MS)).toEqual({ clockOffsetMs: 90_000 })
  })

  it('accepts a slow clock and an end', () => {
    const instance = instantiate(clockSkewScenario, {
      clockOffsetMs: -5000,
      startAfterMs: 1000,
      durationMs: 1000,
    })
    expect(timeline(allEvents(instance))).toEqual([
      [1000, 'clock-skew'],
      [2000, 'clock-skew-end'],
    ])
    expect(instance.transport(START_MS + 1500)).toEqual({ clockOffsetMs: -5000 })
    expect(instance.transport(START_MS + 2000)).toEqual({})
  })
})
