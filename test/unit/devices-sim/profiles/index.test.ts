import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEVICE_TYPES } from '../../../../core/telemetry/envelope.js'
import { DEVICE_PROFILES, profileByType } from '../../../../devices-sim/profiles/index.js'
import { NO_EFFECTS } from '../../../../devices-sim/profiles/profile.js'
import { expectPluginConfigContract } from '../registry-contract.js'
import { createDevice, expectWellFormed, START_MS } from './run-profile.js'

describe('devices-sim > profiles > index', () => {
  it('has one profile per device type, each in a file named after it', () => {
    const types = DEVICE_PROFILES.map((p) => p.type)
    expect(new Set(types).size).toBe(types.length)
    expect([...types].sort()).toEqual(DEVICE_TYPES.filter((t) => t !== 'unspecified').sort())
    for (const type of types) {
      expect(
        existsSync(
          fileURLToPath(new URL(`../../../../devices-sim/profiles/${type}/${type}.ts`, import.meta.url)),
        ),
      ).toBe(true)
    }
    expect(profileByType('unspecified')).toBeUndefined()
  })

  describe.each(DEVICE_PROFILES.map((p) => [p.type, p] as const))('%s', (type, profile) => {
    it('honours the config contract', () => {
      expectPluginConfigContract(profile.configSchema)
      expect(profile.summary.length).toBeGreaterThan(10)
      expect(profileByType(type)).toBe(profile)
    })

    it('creates a device of its type that samples at its start time and reports a status', () => {
      const device = createDevice(profile, {})
      expect(device.type).toBe(type)
      expect(device.deviceId).toBe('dev-0001')
      expect(device.reportIntervalMs).toBeGreaterThan(0)
      const samples = device.sample(START_MS, NO_EFFECTS)
      expectWellFormed(samples)
      expect(samples.every((s) => s.tsMs === START_MS && s.quality === 'valid')).toBe(true)
      const status = device.status(START_MS)
      expect(status.firmware).toMatch(/^\d+\.\d+\.\d+$/)
      expect(status.onMainsPower || status.batteryPct !== undefined).toBe(true)
    })
  })
})
