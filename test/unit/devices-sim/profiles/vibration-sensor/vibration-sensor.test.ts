import { describe, expect, it } from 'vitest'
import {
  ISO10816_ZONES,
  MACHINE_CLASSES,
  vibrationSensorProfile,
} from '../../../../../devices-sim/profiles/vibration-sensor/vibration-sensor.js'
import {
  createDevice,
  expectWellFormed,
  HOUR_MS,
  mean,
  runDevice,
  runProfile,
  START_MS,
  valuesOf,
} from '../run-profile.js'

describe('devices-sim > profiles > vibration-sensor', () => {
  it.each(MACHINE_CLASSES)('class %s runs in zone A/B, never reaching zone C, for 2 h', (machineClass) => {
    const samples = runProfile(vibrationSensorProfile, { machineClass }, { durationMs: 2 * HOUR_MS })
    expectWellFormed(samples)
    const rms = valuesOf(samples, 'vibration_rms')
    expect(rms.length).toBe(7201)
    const [ab, bc] = ISO10816_ZONES[machineClass]
    expect(mean(rms)).toBeGreaterThan(0.6 * ab)
    expect(mean(rms)).toBeLessThan(ab)
    expect(Math.max(...rms)).toBeLessThan(bc)
    expect(Math.min(...rms)).toBeGreaterThan(0)
  })

  it('places the baseline by fraction of the A/B boundary', () => {
    const samples = runProfile(
      vibrationSensorProfile,
      { machineClass: 'III', baselineFractionOfAB: 2 },
      { durationMs: HOUR_MS },
    )
    expect(mean(valuesOf(samples, 'vibration_rms'))).toBeGreaterThan(3.2)
  })

  it('is mains-powered without battery, and deterministic per seed', () => {
    const device = createDevice(vibrationSensorProfile, {})
    const samples = runDevice(device, { durationMs: 60_000 })
    expect(device.status(START_MS + 60_000)).toEqual({
      batteryPct: undefined,
      rssiDbm: undefined,
      firmware: '3.1.2',
      onMainsPower: true,
    })
    expect(runProfile(vibrationSensorProfile, {}, { durationMs: 60_000 })).toEqual(samples)
    expect(runProfile(vibrationSensorProfile, {}, { durationMs: 60_000, seed: 8 })).not.toEqual(samples)
  })
})
