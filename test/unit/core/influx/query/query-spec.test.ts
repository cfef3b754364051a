import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../../core/errors.js'
import { METRIC_NAMES } from '../../../../../core/telemetry/metric-registry.js'
import {
  parseQuerySpec,
  querySpec,
  type QuerySpecInput,
} from '../../../../../core/influx/query/query-spec.js'
import { parseDuration, parseTimestamp } from '../../../../../core/influx/query/time-bounds.js'

const NOW = Date.parse('2024-05-01T12:00:00Z')

function issuesOf(input: QuerySpecInput): Record<string, string> {
  const result = parseQuerySpec(input, NOW)
  if (result.ok) throw new Error('expected the spec to be rejected')
  return Object.fromEntries(result.issues.map((i) => [i.path, i.message]))
}

describe('processors > query > spec', () => {
  it('defaults: last hour until now, raw readings per device, every metric, no limit or quality', () => {
    expect(querySpec({ devices: ['bed-01'] }, NOW)).toEqual({
      selector: { tag: 'device_id', values: ['bed-01'] },
      metrics: METRIC_NAMES,
      metricsExplicit: false,
      start: { kind: 'relative', flux: '-1h', offsetMs: -3_600_000 },
      stop: { kind: 'now' },
      window: undefined,
      groupBy: 'device',
      limit: undefined,
      includeQuality: false,
    })
  })

  it('expands families, removes duplicates and keeps registry order per family', () => {
    const spec = querySpec({ subjects: ['s-1'], metrics: ['spo2', 'environment', 'spo2'] }, NOW)
    expect(spec.selector).toEqual({ tag: 'subject', values: ['s-1'] })
    expect(spec.metrics).toEqual([
      'spo2',
      'ambient_temperature',
      'relative_humidity',
      'barometric_pressure',
      'vibration_rms',
    ])
    expect(querySpec({ site: 'ward-3', metrics: ['device'] }, NOW).metrics).toEqual(['battery_level'])
  })

  it('accepts a window with each aggregate function, mean by default, and any grouping', () => {
    const spec = querySpec({ site: 'w', every: '5m', groupBy: 'site' }, NOW)
    expect(spec.window).toEqual({ every: { flux: '5m', ms: 300_000 }, fn: 'mean' })
    for (const fn of ['mean', 'min', 'max', 'median', 'last', 'first', 'count', 'sum']) {
      for (const groupBy of ['device', 'subject', 'site', 'none']) {
        expect(parseQuerySpec({ site: 'w', every: '1m', fn, groupBy }, NOW).ok).toBe(true)
      }
    }
  })

  it('takes absolute times in any zone and normalises them to UTC', () => {
    const spec = querySpec(
      { devices: ['d'], start: '2024-05-01', stop: '2024-05-01T10:30:00.250+02:00' },
      NOW,
    )
    expect(spec.start).toEqual({
      kind: 'absolute',
      iso: '2024-05-01T00:00:00.000Z',
      ms: Date.parse('2024-05-01'),
    })
    expect(spec.stop).toMatchObject({ kind: 'absolute', iso: '2024-05-01T08:30:00.250Z' })
  })

  it('lists every problem at once', () => {
    const issues = issuesOf({
      devices: ['ok', ''],
      site: 'ward\n3',
      metrics: ['heart_rate', 'hr', 'vital'],
      start: '15m',
      stop: 'yesterday',
      every: '0s',
      fn: 'avg',
      groupBy: 'ward',
      limit: 0,
      includeQuality: true,
      extra: 1,
    } as QuerySpecInput)
    expect(Object.keys(issues).sort()).toEqual(
      [
        'extra',
        'devices.1',
        'site',
        'metrics.1',
        'metrics.2',
        'start',
        'stop',
        'every',
        'fn',
        'groupBy',
        'limit',
        'includeQuality',
        'selector',
      ].sort(),
    )
    expect(issues).toMatchObject({
      extra: 'unknown option',
      'devices.1': 'must not be empty',
      site: 'must not contain control characters (newline, tab, NUL, …)',
      fn: 'expected one of mean, min, max, median, last, first, count, sum',
      groupBy: 'expected one of device, subject, site, none',
      limit: 'expected a whole number 1–1000000',
      includeQuality: 'quality is shown for raw readings only, not with an aggregate window',
      selector: 'give only one of devices, subjects, site (got devices, site)',
    })
    expect(issues['metrics.1']).toMatch(/^unknown metric "hr": one of heart_rate, spo2, .*, or a family/)
    expect(issues['metrics.2']).toContain('unknown metric "vital"')
    expect(issues.start).toBe(
      '"15m": expected a relative duration (-15m, -2h, -7d) or an ISO timestamp with a zone (2024-05-01T10:00:00Z)',
    )
    expect(issues.stop).toContain('"yesterday"')
    expect(issues.every).toContain('"0s" is not a window')
  })

  it('checks the rules between options', () => {
    expect(issuesOf({})).toEqual({ selector: 'choose what to query: devices, subjects or a site' })
    expect(issuesOf({ devices: ['d'], fn: 'max', groupBy: 'site', start: '-1h', stop: '-2h' })).toEqual({
      fn: 'an aggregate function needs an aggregate window, e.g. 1m',
      groupBy: 'grouping by site needs an aggregate window: raw readings are listed per device',
      stop: 'must be after start (start -1h, stop -2h)',
    })
    expect(issuesOf({ devices: ['d'], every: '1m', includeQuality: true })).toEqual({
      includeQuality: 'quality is shown for raw readings only, not with an aggregate window',
    })
    expect(issuesOf({ devices: ['d'], start: '2024-05-01T13:00:00Z' })).toEqual({
      start: '2024-05-01T13:00:00.000Z is in the future: give a stop after it',
    })
    // A relative stop is compared with an absolute start through the same "now".
    expect(issuesOf({ devices: ['d'], start: '2024-05-01T11:00:00Z', stop: '-2h' })).toHaveProperty('stop')
    expect(parseQuerySpec({ devices: ['d'], start: '2024-05-01T11:00:00Z', stop: '-30m' }, NOW).ok).toBe(true)
    expect(parseQuerySpec({ devices: ['d'], groupBy: 'device' }, NOW).ok).toBe(true)
  })

  it('bounds lists, ids and limits', () => {
    expect(issuesOf({ devices: [] })).toHaveProperty('devices', 'give at least one')
    expect(issuesOf({ devices: Array.from({ length: 201 }, (_, i) => `d${i}`) })).toHaveProperty('devices')
    expect(issuesOf({ devices: ['x'.repeat(257)] })).toHaveProperty('devices.0')
    expect(issuesOf({ devices: ['half\ud800'] })).toHaveProperty('devices.0')
    expect(issuesOf({ devices: ['d'], limit: 1.5 })).toHaveProperty('limit')
    expect(issuesOf({ devices: ['d'], limit: Number.NaN })).toHaveProperty('limit')
    expect(issuesOf({ devices: ['d'], metrics: [] })).toHaveProperty('metrics', 'give at least one metric')
    expect(querySpec({ devices: ['x") |> drop() //', '${x}', '漢字 🙂'] }, NOW).selector.values).toHaveLength(
      3,
    )
  })

  it('throws a ConfigError naming its source', () => {
    expect(() => querySpec({ devices: ['d'], every: 'soon' }, NOW, 'pulsewire query')).toThrow(ConfigError)
    expect(() => querySpec({ devices: ['d'], every: 'soon' }, NOW, 'pulsewire query')).toThrow(
      /invalid configuration \(pulsewire query\): 1 problem\n {2}- every: /,
    )
  })
})

describe('processors > query > durations and timestamps', () => {
  it('parses compound durations and refuses zero, unknown units, signs and huge values', () => {
    expect(parseDuration('1h30m')).toEqual({ flux: '1h30m', ms: 5_400_000 })
    expect(parseDuration('250ms')).toEqual({ flux: '250ms', ms: 250 })
    expect(parseDuration('2w')).toEqual({ flux: '2w', ms: 14 * 86_400_000 })
    for (const bad of ['', '0m', '1y', '1mo', '-1h', '1.5h', '1 h', 'h', '3651d', '1h)', '99999999s']) {
      expect(parseDuration(bad), bad).toBeUndefined()
    }
  })

  it('parses ISO dates and date-times with a zone, refusing impossible ones', () => {
    expect(parseTimestamp('2024-02-29')).toBe(Date.parse('2024-02-29T00:00:00Z'))
    expect(parseTimestamp('2024-05-01 10:00Z')).toBe(Date.parse('2024-05-01T10:00:00Z'))
    expect(parseTimestamp('2024-05-01T10:00:00-05:30')).toBe(Date.parse('2024-05-01T15:30:00Z'))
    for (const bad of [
      '2023-02-29',
      '2024-04-31',
      '2024-13-01',
      '2024-05-01T24:00:00Z',
      '2024-05-01T10:00:00',
      '2024-05-01T10:00:00.1234Z',
      '1969-12-31',
      '2024-05-01T10:00:00Z") |> yield() //',
      'now',
    ]) {
      expect(parseTimestamp(bad), bad).toBeUndefined()
    }
  })
})
