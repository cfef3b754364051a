import { describe, expect, it } from 'vitest'
import { DEVICE_TYPE_TABLE, KNOWN_DEVICE_TYPES } from '../../../../core/telemetry/device-types.js'
import { profileByType } from '../../../../devices-sim/profiles/index.js'

describe('simulator profiles and the device-type table', () => {
  it.each(KNOWN_DEVICE_TYPES)('%s: a profile publishing at the table cadence by default', (type) => {
    const profile = profileByType(type)
    expect(profile).toBeDefined()
    const config = profile?.configSchema.parse({}) as { reportIntervalMs: number }
    expect(config.reportIntervalMs).toBe(DEVICE_TYPE_TABLE[type].reportIntervalMs)
  })
})
