import { describe, expect, it } from 'vitest'
import { INFUSION_STATES } from '../../../../../core/telemetry/metric-registry.js'
import { infusionPumpProfile } from '../../../../../devices-sim/profiles/infusion-pump/infusion-pump.js'
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

const state = (name: (typeof INFUSION_STATES)[number]): number => INFUSION_STATES.indexOf(name)

describe('devices-sim > profiles > infusion-pump', () => {
  const samples = runProfile(infusionPumpProfile, {}, { durationMs: 2 * HOUR_MS })

  it('infuses at the programmed rate and accumulates the volume from it', () => {
    expectWellFormed(samples)
    expect(valuesOf(samples, 'infusion_state').every((v) => v === state('infusing'))).toBe(true)
    expect(valuesOf(samples, 'infusion_rate').every((v) => v === 50)).toBe(true)
    const volume = ofMetric(samples, 'infusion_volume_infused')
    expect(volume[0]?.value).toBe(0)
    expect(volume.at(-1)?.value).toBeCloseTo(100, 1)
    expect(volume.at(-1)?.tsMs).toBe(START_MS + 2 * HOUR_MS)
    const pressure = valuesOf(samples, 'infusion_pressure')
    expect(mean(pressure)).toBeGreaterThan(20)
    expect(mean(pressure)).toBeLessThan(40)
    expect(new Set(pressure).size).toBeGreaterThan(3)
  })

  it('switches to KVO once the VTBI is infused', () => {
    const short = runProfile(infusionPumpProfile, { rateMlPerHour: 60, vtbiMl: 10 }, { durationMs: HOUR_MS })
    const states = ofMetric(short, 'infusion_state')
    const switched = states.find((s) => s.value === state('kvo'))
    expect(switched?.tsMs).toBe(START_MS + 600_000)
    expect(valuesOf(short, 'infusion_rate').at(-1)).toBe(1)
    expect(valuesOf(short, 'infusion_volume_infused').at(-1)).toBeCloseTo(10 + 50 / 60, 1)
  })

  it('delivers nothing while a scenario holds it in alarm', () => {
    const alarm = withEffects({ overrides: { infusion_state: state('alarm') } })
    const held = runProfile(infusionPumpProfile, {}, { durationMs: HOUR_MS, effects: () => alarm })
    expect(valuesOf(held, 'infusion_state').every((v) => v === state('alarm'))).toBe(true)
    expect(valuesOf(held, 'infusion_rate').every((v) => v === 0)).toBe(true)
    expect(valuesOf(held, 'infusion_volume_infused').every((v) => v === 0)).toBe(true)
  })

  it('reports battery on battery power and none drained on mains', () => {
    const device = createDevice(infusionPumpProfile, {})
    runDevice(device, { durationMs: 2 * HOUR_MS })
    expect(device.status(START_MS + 2 * HOUR_MS)).toMatchObject({ batteryPct: 94, onMainsPower: false })
    const mains = createDevice(infusionPumpProfile, { onMainsPower: true })
    runDevice(mains, { durationMs: 2 * HOUR_MS })
    expect(mains.status(START_MS + 2 * HOUR_MS)).toMatchObject({ batteryPct: 100, onMainsPower: true })
  })

  it('is deterministic per seed', () => {
    expect(runProfile(infusionPumpProfile, {}, { durationMs: 2 * HOUR_MS })).toEqual(samples)
    const other = runProfile(infusionPumpProfile, {}, { durationMs: 2 * HOUR_MS, seed: 5 })
    expect(valuesOf(other, 'infusion_pressure')).not.toEqual(valuesOf(samples, 'infusion_pressure'))
  })
})
