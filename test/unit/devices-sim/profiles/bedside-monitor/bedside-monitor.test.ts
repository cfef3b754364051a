import { describe, expect, it } from 'vitest'
import { bedsideMonitorProfile } from '../../../../../devices-sim/profiles/bedside-monitor/bedside-monitor.js'
import { NO_EFFECTS } from '../../../../../devices-sim/profiles/profile.js'
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

const TWO_HOURS = 2 * HOUR_MS
const NUMERICS = ['heart_rate', 'pulse_rate', 'spo2', 'respiration_rate', 'body_temperature'] as const

describe('devices-sim > profiles > bedside-monitor', () => {
  const samples = runProfile(bedsideMonitorProfile, {}, { durationMs: TWO_HOURS })

  it('keeps a healthy adult in physiological ranges for 2 h', () => {
    expectWellFormed(samples)
    const hr = valuesOf(samples, 'heart_rate')
    expect(mean(hr)).toBeGreaterThan(60)
    expect(mean(hr)).toBeLessThan(100)
    expect(Math.min(...hr)).toBeGreaterThanOrEqual(50)
    expect(Math.max(...hr)).toBeLessThanOrEqual(110)
    const spo2 = valuesOf(samples, 'spo2')
    expect(Math.min(...spo2)).toBeGreaterThanOrEqual(94)
    expect(Math.max(...spo2)).toBeLessThanOrEqual(100)
    const rr = valuesOf(samples, 'respiration_rate')
    expect(mean(rr)).toBeGreaterThan(12)
    expect(mean(rr)).toBeLessThan(20)
    expect(Math.min(...rr)).toBeGreaterThanOrEqual(8)
    expect(Math.max(...rr)).toBeLessThanOrEqual(24)
    const temp = valuesOf(samples, 'body_temperature')
    expect(Math.min(...temp)).toBeGreaterThanOrEqual(36)
    expect(Math.max(...temp)).toBeLessThanOrEqual(38)
    expect(samples.every((s) => s.quality === 'valid')).toBe(true)
  })

  it('varies: HR is neither flat nor white noise', () => {
    const hr = valuesOf(samples, 'heart_rate')
    expect(new Set(hr).size).toBeGreaterThan(5)
    const steps = hr.slice(1).map((v, i) => Math.abs(v - (hr[i] ?? v)))
    expect(mean(steps)).toBeLessThan(2)
  })

  it('samples each 1 Hz numeric once per second, with its own acquisition time', () => {
    for (const metric of NUMERICS) {
      const times = ofMetric(samples, metric).map((s) => s.tsMs)
      expect(times.length).toBe(TWO_HOURS / 1000 + 1)
      expect(times.every((t, i) => t === START_MS + i * 1000)).toBe(true)
    }
    const device = createDevice(bedsideMonitorProfile, {})
    device.sample(START_MS, NO_EFFECTS)
    const one = device.sample(START_MS + 1000, NO_EFFECTS)
    expect(one.map((s) => s.metric)).toEqual([...NUMERICS])
  })

  it('measures NIBP only every nibpIntervalMs, starting at start, with MAP ≈ DIA + (SYS − DIA)/3', () => {
    const sys = ofMetric(samples, 'nibp_systolic')
    expect(sys.map((s) => s.tsMs)).toEqual(Array.from({ length: 9 }, (_, k) => START_MS + k * 900_000))
    const dia = ofMetric(samples, 'nibp_diastolic')
    const map = ofMetric(samples, 'nibp_mean')
    sys.forEach((s, i) => {
      const d = dia[i]?.value ?? 0
      expect(s.value).toBeGreaterThan(95)
      expect(s.value).toBeLessThan(145)
      expect(d).toBeGreaterThan(55)
      expect(d).toBeLessThan(95)
      expect(Math.abs((map[i]?.value ?? 0) - (d + (s.value - d) / 3))).toBeLessThanOrEqual(1)
    })
    const faster = runProfile(bedsideMonitorProfile, { nibpIntervalMs: 300_000 }, { durationMs: HOUR_MS })
    expect(ofMetric(faster, 'nibp_systolic').length).toBe(13)
  })

  it('gives the same samples for the same seed, whatever the call cadence, and others for another seed', () => {
    const again = runProfile(bedsideMonitorProfile, {}, { durationMs: TWO_HOURS })
    expect(again).toEqual(samples)
    const coarse = runProfile(bedsideMonitorProfile, {}, { durationMs: TWO_HOURS, stepMs: 60_000 })
    expect(coarse).toEqual(samples)
    const other = runProfile(bedsideMonitorProfile, {}, { durationMs: TWO_HOURS, seed: 2 })
    expect(valuesOf(other, 'heart_rate')).not.toEqual(valuesOf(samples, 'heart_rate'))
  })

  it('applies offsets before quantising, overrides, and forced quality', () => {
    const effects = withEffects({
      offsets: { heart_rate: 30.4, body_temperature: 1.04 },
      overrides: { spo2: 88 },
      quality: { pulse_rate: 'probe_off', respiration_rate: 'motion' },
    })
    const base = runProfile(bedsideMonitorProfile, {}, { durationMs: 600_000 })
    const hit = runProfile(bedsideMonitorProfile, {}, { durationMs: 600_000, effects: () => effects })
    expectWellFormed(hit)
    const shift = mean(valuesOf(hit, 'heart_rate')) - mean(valuesOf(base, 'heart_rate'))
    expect(shift).toBeGreaterThan(29.5)
    expect(shift).toBeLessThan(31.5)
    expect(valuesOf(hit, 'spo2').every((v) => v === 88)).toBe(true)
    expect(ofMetric(hit, 'pulse_rate').every((s) => s.value === 0 && s.quality === 'probe_off')).toBe(true)
    expect(ofMetric(hit, 'respiration_rate').every((s) => s.quality === 'motion')).toBe(true)
    expect(ofMetric(hit, 'heart_rate').every((s) => s.quality === 'valid')).toBe(true)
  })

  it('derives MAP from the effective pressures and lets the pulse rate follow HR trends', () => {
    const effects = withEffects({ offsets: { nibp_systolic: -30, nibp_diastolic: -15, heart_rate: 20 } })
    const hit = runProfile(bedsideMonitorProfile, {}, { durationMs: 600_000, effects: () => effects })
    const [sys] = valuesOf(hit, 'nibp_systolic')
    const [dia] = valuesOf(hit, 'nibp_diastolic')
    const [map] = valuesOf(hit, 'nibp_mean')
    expect(Math.abs((map ?? 0) - ((dia ?? 0) + ((sys ?? 0) - (dia ?? 0)) / 3))).toBeLessThanOrEqual(1)
    const gap = mean(valuesOf(hit, 'pulse_rate')) - mean(valuesOf(hit, 'heart_rate'))
    expect(Math.abs(gap)).toBeLessThan(2)
  })

  it('reports mains power, no battery and its firmware', () => {
    const device = createDevice(bedsideMonitorProfile, {})
    runDevice(device, { durationMs: 10_000 })
    expect(device.status(START_MS + 10_000)).toEqual({
      batteryPct: undefined,
      rssiDbm: undefined,
      firmware: '2.4.1',
      onMainsPower: true,
    })
    expect(device.reportIntervalMs).toBe(1000)
    expect(device.type).toBe('bedside-monitor')
  })

  it('returns nothing before its start time or for an interval already sampled', () => {
    const device = createDevice(bedsideMonitorProfile, {})
    expect(device.sample(START_MS - 1, NO_EFFECTS)).toEqual([])
    expect(device.sample(START_MS, NO_EFFECTS).length).toBe(8)
    expect(device.sample(START_MS + 500, NO_EFFECTS)).toEqual([])
  })
})
