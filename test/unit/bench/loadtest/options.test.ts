import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../core/errors.js'
import { exitCodeFor, formatError } from '../../../../core/report-error.js'
import { parseLoadtestOptions } from '../../../../bench/loadtest/options.js'

const fails = (input: Record<string, unknown>): ConfigError => {
  try {
    parseLoadtestOptions(input)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('unit > devices-sim > loadtest > option validation', () => {
  it('resolves defaults and the rate from --rate or --interval', () => {
    const o = parseLoadtestOptions({})
    expect(o).toMatchObject({
      devices: 100,
      ratePerSec: 100,
      deviceIntervalMs: 1000,
      samples: 1,
      qos: 1,
      durationS: 30,
    })
    expect(o.alarmEvery).toBe(20)
    expect(o.probeEvery).toBe(5)
    expect(o.idPrefix).toMatch(/^lt-[a-z0-9]+-[0-9a-f]{4}$/)
    const cli = parseLoadtestOptions({
      devices: '1000',
      rate: '2000',
      samples: '5',
      duration: '60',
      rampUp: '10',
      faults: ['storage@20', 'gateway@15.5'],
    })
    expect(cli).toMatchObject({
      devices: 1000,
      ratePerSec: 2000,
      deviceIntervalMs: 500,
      samples: 5,
      rampUpS: 10,
    })
    expect(cli.faults).toEqual([
      { process: 'storage', atS: 20 },
      { process: 'gateway', atS: 15.5 },
    ])
    expect(parseLoadtestOptions({ devices: 10, interval: 250 }).ratePerSec).toBe(40)
    expect(parseLoadtestOptions({ profile: 'environmental-sensor' }).alarmEvery).toBe(0)
  })

  it('reports every bad value at once, by its flag, as a configuration error (exit 78)', () => {
    const err = fails({ devices: '0', qos: '2', duration: 'ten', faults: ['storage'], profile: 'toaster' })
    const paths = err.issues.map((i) => i.path)
    expect(paths).toEqual(
      expect.arrayContaining(['--devices', '--qos', '--duration', '--fault.0', '--profile']),
    )
    expect(exitCodeFor(err)).toBe(78)
    expect(formatError(err)).toMatch(/^error \[CFG_INVALID\] invalid configuration \(loadtest options\)/)
  })

  it('refuses rates that would put two readings of a device in the same millisecond', () => {
    const err = fails({ devices: 10, rate: 5_000, samples: 5 })
    expect(err.issues[0]?.path).toBe('--rate')
    expect(err.issues[0]?.message).toMatch(/every 2.00 ms with 5 readings: at least 7 ms/)
  })

  it('refuses contradictions: --rate with --interval, a ramp longer than the run, faults after it, alarms without SpO2', () => {
    expect(fails({ rate: 10, interval: 100 }).issues[0]?.message).toMatch(/not both/)
    expect(fails({ duration: 10, rampUp: 20 }).issues[0]?.path).toBe('--ramp-up')
    expect(fails({ duration: 10, faults: ['gateway@12'] }).issues[0]?.path).toBe('--fault.0')
    expect(fails({ profile: 'vibration-sensor', alarmEvery: 5 }).issues[0]?.path).toBe('--alarm-every')
  })
})
