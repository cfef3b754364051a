import { describe, expect, it } from 'vitest'
import { environmentalSensorProfile } from '../../../../../devices-sim/profiles/environmental-sensor/environmental-sensor.js'
import { NO_EFFECTS } from '../../../../../devices-sim/profiles/profile.js'
import { stuckSensorScenario } from '../../../../../devices-sim/scenarios/stuck-sensor/stuck-sensor.js'
import { ofMetric, runProfile } from '../../profiles/run-profile.js'
import { allEvents, HOUR_MS, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > stuck-sensor', () => {
  it('freezes ambient temperature at 21.4 °C from 10 min by default, for good', () => {
    const instance = instantiate(stuckSensorScenario, {})
    expect(allEvents(instance)).toEqual([
      {
        atMs: START_MS + 600_000,
        deviceId: 'dev-0001',
        scenario: 'stuck-sensor',
        event: 'stuck-start',
        detail: { metric: 'ambient_temperature', value: 21.4 },
      },
    ])
    expect(instance.signal(START_MS + 599_999)).toEqual({})
    expect(instance.signal(START_MS + 600_000)).toEqual({ overrides: { ambient_temperature: 21.4 } })
    expect(instance.signal(START_MS + 100 * HOUR_MS)).toEqual({ overrides: { ambient_temperature: 21.4 } })
  })

  it('makes an environmental sensor flatline with valid quality while humidity keeps moving', () => {
    const instance = instantiate(stuckSensorScenario, {})
    const samples = runProfile(
      environmentalSensorProfile,
      {},
      {
        durationMs: HOUR_MS,
        effects: (t) => ({ ...NO_EFFECTS, ...instance.signal(t) }),
      },
    )
    const after = ofMetric(samples, 'ambient_temperature').filter((s) => s.tsMs >= START_MS + 600_000)
    expect(after.length).toBe(301)
    expect(after.every((s) => s.value === 21.4 && s.quality === 'valid')).toBe(true)
    const before = ofMetric(samples, 'ambient_temperature').filter((s) => s.tsMs < START_MS + 600_000)
    expect(new Set(before.map((s) => s.value)).size).toBeGreaterThan(5)
    const rh = ofMetric(samples, 'relative_humidity').filter((s) => s.tsMs >= START_MS + 600_000)
    expect(new Set(rh.map((s) => s.value)).size).toBeGreaterThan(5)
  })

  it('takes another metric, value and an end from config', () => {
    const instance = instantiate(stuckSensorScenario, {
      metric: 'vibration_rms',
      value: 2.5,
      startAfterMs: 0,
      durationMs: 60_000,
    })
    expect(timeline(allEvents(instance))).toEqual([
      [0, 'stuck-start'],
      [60_000, 'stuck-end'],
    ])
    expect(instance.signal(START_MS)).toEqual({ overrides: { vibration_rms: 2.5 } })
    expect(instance.signal(START_MS + 60_000)).toEqual({})
    const typical = instantiate(stuckSensorScenario, { metric: 'heart_rate' })
    expect(allEvents(typical)[0]?.detail).toEqual({ metric: 'heart_rate', value: 80 })
  })
})
