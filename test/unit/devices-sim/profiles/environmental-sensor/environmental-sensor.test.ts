import { describe, expect, it } from 'vitest'
import { environmentalSensorProfile } from '../../../../../devices-sim/profiles/environmental-sensor/environmental-sensor.js'
import {
  createDevice,
  expectWellFormed,
  HOUR_MS,
  mean,
  runDevice,
  runProfile,
  START_MS,
  stdDev,
  valuesOf,
} from '../run-profile.js'

describe('devices-sim > profiles > environmental-sensor', () => {
  const samples = runProfile(environmentalSensorProfile, {}, { durationMs: 2 * HOUR_MS })

  it('reports a plausible indoor climate every 10 s for 2 h', () => {
    expectWellFormed(samples)
    const temp = valuesOf(samples, 'ambient_temperature')
    expect(temp.length).toBe(721)
    expect(Math.min(...temp)).toBeGreaterThan(18)
    expect(Math.max(...temp)).toBeLessThan(25)
    const rh = valuesOf(samples, 'relative_humidity')
    expect(Math.min(...rh)).toBeGreaterThan(35)
    expect(Math.max(...rh)).toBeLessThan(55)
    const pressure = valuesOf(samples, 'barometric_pressure')
    expect(Math.min(...pressure)).toBeGreaterThan(995)
    expect(Math.max(...pressure)).toBeLessThan(1030)
  })

  it('is noisy at the BME280 level, never flat (a flat line is the stuck-sensor fault)', () => {
    const rh = valuesOf(samples, 'relative_humidity')
    const steps = rh.slice(1).map((v, i) => v - (rh[i] ?? v))
    expect(stdDev(steps)).toBeGreaterThan(0.01)
    expect(stdDev(steps)).toBeLessThan(0.2)
    expect(new Set(valuesOf(samples, 'ambient_temperature')).size).toBeGreaterThan(50)
  })

  it('drifts humidity by the configured rate (accelerated)', () => {
    const drifting = runProfile(
      environmentalSensorProfile,
      { driftAcceleration: 8760 },
      { durationMs: 2 * HOUR_MS },
    )
    const delta =
      (valuesOf(drifting, 'relative_humidity').at(-1) ?? 0) -
      (valuesOf(samples, 'relative_humidity').at(-1) ?? 0)
    expect(delta).toBeCloseTo(1, 1)
    const first =
      mean(valuesOf(drifting, 'relative_humidity').slice(0, 1)) -
      mean(valuesOf(samples, 'relative_humidity').slice(0, 1))
    expect(first).toBe(0)
  })

  it('reports battery and rssi, and is deterministic per seed', () => {
    const device = createDevice(environmentalSensorProfile, {})
    runDevice(device, { durationMs: HOUR_MS })
    expect(device.status(START_MS + HOUR_MS)).toMatchObject({
      batteryPct: 100,
      onMainsPower: false,
      firmware: '0.9.7',
    })
    expect(runProfile(environmentalSensorProfile, {}, { durationMs: 2 * HOUR_MS })).toEqual(samples)
    const other = runProfile(environmentalSensorProfile, {}, { durationMs: 2 * HOUR_MS, seed: 3 })
    expect(valuesOf(other, 'ambient_temperature')).not.toEqual(valuesOf(samples, 'ambient_temperature'))
  })
})
