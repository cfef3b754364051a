import { describe, expect, it } from 'vitest'
import { NO_EFFECTS } from '../../../../../devices-sim/profiles/profile.js'
import { wearableProfile } from '../../../../../devices-sim/profiles/wearable/wearable.js'
import { batteryDeclineScenario } from '../../../../../devices-sim/scenarios/battery-decline/battery-decline.js'
import { createDevice, runDevice } from '../../profiles/run-profile.js'
import { allEvents, HOUR_MS, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > battery-decline', () => {
  const instance = instantiate(batteryDeclineScenario, {})

  it('drains 30 %/h extra from the start and estimates the 20 % and 10 % crossings', () => {
    expect(timeline(allEvents(instance))).toEqual([
      [0, 'battery-decline-start'],
      [(80 / 30) * HOUR_MS, 'battery-below-20'],
      [3 * HOUR_MS, 'battery-below-10'],
    ])
    expect(allEvents(instance)[1]?.detail).toEqual({ estimated: true })
    expect(instance.signal(START_MS - 1)).toEqual({})
    expect(instance.signal(START_MS)).toEqual({ batteryDrainPerHour: 30 })
  })

  it("drives a wearable's battery down and its status with it", () => {
    const device = createDevice(wearableProfile, {})
    const samples = runDevice(device, {
      durationMs: 2 * HOUR_MS,
      effects: (t) => ({ ...NO_EFFECTS, ...instance.signal(t) }),
    })
    expect(device.status(START_MS + 2 * HOUR_MS).batteryPct).toBe(38)
    expect(samples.filter((s) => s.metric === 'battery_level').at(-1)?.value).toBe(38)
  })

  it('stops after durationMs and skips thresholds already below', () => {
    const limited = instantiate(batteryDeclineScenario, {
      durationMs: HOUR_MS,
      assumedStartPct: 15,
      batteryDrainPerHour: 10,
    })
    expect(timeline(allEvents(limited))).toEqual([
      [0, 'battery-decline-start'],
      [0.5 * HOUR_MS, 'battery-below-10'],
      [HOUR_MS, 'battery-decline-end'],
    ])
    expect(limited.signal(START_MS + HOUR_MS)).toEqual({})
  })
})
