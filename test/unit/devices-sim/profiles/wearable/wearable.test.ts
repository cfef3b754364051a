import { describe, expect, it } from 'vitest'
import { NO_EFFECTS } from '../../../../../devices-sim/profiles/profile.js'
import { wearableProfile } from '../../../../../devices-sim/profiles/wearable/wearable.js'
import {
  createDevice,
  expectWellFormed,
  HOUR_MS,
  mean,
  ofMetric,
  runDevice,
  runProfile,
  START_MS,
  valuesOf,
  withEffects,
} from '../run-profile.js'

describe('devices-sim > profiles > wearable', () => {
  const samples = runProfile(wearableProfile, {}, { durationMs: 6 * HOUR_MS })

  it('keeps HR, RR and SpO2 physiological over 6 h at 1/min', () => {
    expectWellFormed(samples)
    const hr = valuesOf(samples, 'heart_rate')
    expect(hr.length).toBe(6 * 60 + 1)
    expect(mean(hr)).toBeGreaterThan(60)
    expect(mean(hr)).toBeLessThan(100)
    expect(Math.min(...hr)).toBeGreaterThanOrEqual(50)
    expect(Math.max(...hr)).toBeLessThanOrEqual(110)
    const rr = valuesOf(samples, 'respiration_rate')
    expect(Math.min(...rr)).toBeGreaterThanOrEqual(8)
    expect(Math.max(...rr)).toBeLessThanOrEqual(24)
    const spo2 = valuesOf(samples, 'spo2')
    expect(Math.min(...spo2)).toBeGreaterThanOrEqual(94)
    expect(Math.max(...spo2)).toBeLessThanOrEqual(100)
  })

  it('returns one HR and one RR per 60-s call, stamped at the minute', () => {
    const device = createDevice(wearableProfile, {})
    device.sample(START_MS, NO_EFFECTS)
    const batch = device.sample(START_MS + 60_000, NO_EFFECTS)
    expect(batch.map((s) => s.metric)).toEqual(['heart_rate', 'respiration_rate', 'spo2', 'battery_level'])
    expect(batch.every((s) => s.tsMs === START_MS + 60_000)).toBe(true)
    expect(device.reportIntervalMs).toBe(60_000)
  })

  it('has no SpO2 when the oximeter is disabled', () => {
    const without = runProfile(wearableProfile, { spo2Enabled: false }, { durationMs: HOUR_MS })
    expect(ofMetric(without, 'spo2')).toEqual([])
  })

  it('drains its battery slowly, faster with a scenario drain, and reports rssi', () => {
    const battery = valuesOf(samples, 'battery_level')
    expect(battery.every((v, i) => i === 0 || v <= (battery[i - 1] ?? 100))).toBe(true)
    const device = createDevice(wearableProfile, {})
    runDevice(device, { durationMs: 6 * HOUR_MS })
    const status = device.status(START_MS + 6 * HOUR_MS)
    expect(status.batteryPct).toBe(94)
    expect(status.onMainsPower).toBe(false)
    expect(status.firmware).toBe('1.8.3')
    expect(Number.isInteger(status.rssiDbm)).toBe(true)
    expect(status.rssiDbm).toBeGreaterThan(-90)
    expect(status.rssiDbm).toBeLessThan(-45)

    const draining = createDevice(wearableProfile, {})
    runDevice(draining, { durationMs: HOUR_MS, effects: () => withEffects({ batteryDrainPerHour: 30 }) })
    expect(draining.status(START_MS + HOUR_MS).batteryPct).toBe(69)
  })

  it('is deterministic per seed', () => {
    expect(runProfile(wearableProfile, {}, { durationMs: 6 * HOUR_MS })).toEqual(samples)
    const other = runProfile(wearableProfile, {}, { durationMs: 6 * HOUR_MS, seed: 99 })
    expect(valuesOf(other, 'heart_rate')).not.toEqual(valuesOf(samples, 'heart_rate'))
  })
})
