import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { pulsewire } from '../../../../proto/gen/pulsewire.js'
import {
  DEVICE_TYPES,
  DEVICE_TYPE_TABLE,
  KNOWN_DEVICE_TYPES,
  UNSPECIFIED_DEVICE_TYPE,
  deviceTypeChannel,
  deviceTypeFromWire,
  deviceTypeNameOf,
  deviceTypeSpec,
  deviceTypeToWire,
  isKnownDeviceType,
  mapDeviceTypes,
} from '../../../../core/telemetry/device-types.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'

const wireEnum = pulsewire.telemetry.v1.DeviceType
const enumKeys = Object.keys(wireEnum)

describe('the device-type table', () => {
  it('has a row for every proto enum value except UNSPECIFIED, and nothing else', () => {
    const fromEnum = enumKeys.filter((k) => k !== 'DEVICE_TYPE_UNSPECIFIED').map(deviceTypeNameOf)
    expect(Object.keys(DEVICE_TYPE_TABLE).sort()).toEqual([...fromEnum].sort())
    expect([...KNOWN_DEVICE_TYPES].sort()).toEqual([...fromEnum].sort())
    expect(Object.keys(DEVICE_TYPE_TABLE)).not.toContain('unspecified')
  })

  it('keeps the wire mapping of telemetry.proto exactly (enum numbers ↔ names)', () => {
    // Wire numbers are never reused or renumbered: new types may only come after these.
    expect(DEVICE_TYPES.slice(0, 6)).toEqual([
      'unspecified',
      'bedside-monitor',
      'wearable',
      'infusion-pump',
      'environmental-sensor',
      'vibration-sensor',
    ])
    for (const key of enumKeys) {
      const wire = wireEnum[key as keyof typeof wireEnum]
      const name = deviceTypeNameOf(key)
      expect(DEVICE_TYPES[wire]).toBe(name)
      expect(deviceTypeToWire(name as (typeof DEVICE_TYPES)[number])).toBe(wire)
      expect(deviceTypeFromWire(wire)).toBe(name)
    }
    expect(deviceTypeFromWire(enumKeys.length + 100)).toBeUndefined()
  })

  it('names types the way the domain spells them', () => {
    expect(deviceTypeNameOf('DEVICE_TYPE_BEDSIDE_MONITOR')).toBe('bedside-monitor')
    expect(deviceTypeNameOf('DEVICE_TYPE_UNSPECIFIED')).toBe('unspecified')
  })

  it('sends medical types to vitals and the rest to environment', () => {
    for (const type of KNOWN_DEVICE_TYPES) {
      const spec = DEVICE_TYPE_TABLE[type]
      expect(spec.channel).toBe(spec.medical ? 'vitals' : 'environment')
    }
    expect(mapDeviceTypes((spec) => spec.medical)).toMatchObject({
      'bedside-monitor': true,
      wearable: true,
      'infusion-pump': true,
      'environmental-sensor': false,
      'vibration-sensor': false,
    })
  })

  it('gives every type a distinct id prefix and a positive cadence', () => {
    const prefixes = KNOWN_DEVICE_TYPES.map((t) => DEVICE_TYPE_TABLE[t].idPrefix)
    expect(new Set(prefixes).size).toBe(prefixes.length)
    for (const type of KNOWN_DEVICE_TYPES) {
      expect(DEVICE_TYPE_TABLE[type].reportIntervalMs).toBeGreaterThan(0)
      expect(DEVICE_TYPE_TABLE[type].idPrefix).toMatch(/^[a-z]+-$/)
    }
  })

  it('treats unspecified as a non-medical device on the environment channel', () => {
    expect(deviceTypeSpec('unspecified')).toBe(UNSPECIFIED_DEVICE_TYPE)
    expect(deviceTypeChannel('unspecified')).toBe(CHANNELS.environment)
    expect(isKnownDeviceType('unspecified')).toBe(false)
    expect(isKnownDeviceType('toaster')).toBe(false)
    expect(isKnownDeviceType(undefined)).toBe(false)
    expect(isKnownDeviceType('wearable')).toBe(true)
  })

  it('maps over every known type', () => {
    const prefixes = mapDeviceTypes((spec) => spec.idPrefix)
    expect(Object.keys(prefixes)).toEqual(KNOWN_DEVICE_TYPES)
    expect(prefixes).toMatchObject({
      'bedside-monitor': 'bm-',
      wearable: 'wr-',
      'infusion-pump': 'ip-',
      'environmental-sensor': 'env-',
      'vibration-sensor': 'vib-',
    })
  })
})

describe('the compile-time check of the table', () => {
  it('is part of npm run typecheck (test/types/device-type-table.ts is in tsconfig.json)', () => {
    const root = fileURLToPath(new URL('../../../../', import.meta.url))
    const read = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path))
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root)
    expect(parsed.fileNames).toContain(join(root, 'test/types/device-type-table.ts'))
  })
})
