import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../../core/errors.js'
import { fluxQuery, fluxString, measurementsFor } from '../../../../../core/influx/query/flux.js'
import { querySpec, type QuerySpecInput } from '../../../../../core/influx/query/query-spec.js'
import { lexFlux } from './flux-lexer.js'

const NOW = Date.parse('2024-05-01T12:00:00Z')
const query = (input: QuerySpecInput, bucket = 'telemetry/autogen'): string =>
  fluxQuery(querySpec(input, NOW), bucket)

describe('processors > query > flux generation', () => {
  it('writes a raw query: range, measurement, selector, fields, pivot per device', () => {
    expect(query({ devices: ['bed-01'], metrics: ['heart_rate', 'spo2'], start: '-15m' })).toBe(
      `from(bucket: "telemetry/autogen")
  |> range(start: -15m)
  |> filter(fn: (r) => r._measurement == "vitals")
  |> filter(fn: (r) => r.device_id == "bed-01")
  |> filter(fn: (r) => r._field == "heart_rate" or r._field == "spo2")
  |> keep(columns: ["_time", "_value", "_field", "device_id"])
  |> group(columns: ["device_id"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> yield(name: "values")
`,
    )
  })

  it('writes an aggregate per subject with absolute bounds, an exact median and a limit', () => {
    const flux = query({
      subjects: ['s-7f3a'],
      metrics: ['heart_rate'],
      start: '2024-05-01T08:00:00Z',
      stop: '2024-05-01T10:30:00+01:00',
      every: '1m',
      fn: 'median',
      groupBy: 'subject',
      limit: 100,
    })
    expect(flux).toBe(
      `from(bucket: "telemetry/autogen")
  |> range(start: 2024-05-01T08:00:00.000Z, stop: 2024-05-01T09:30:00.000Z)
  |> filter(fn: (r) => r._measurement == "vitals")
  |> filter(fn: (r) => r.subject == "s-7f3a")
  |> filter(fn: (r) => r._field == "heart_rate")
  |> group(columns: ["subject", "_field"])
  |> aggregateWindow(every: 1m, fn: (column, tables=<-) => tables |> median(column: column, method: "exact_mean"), createEmpty: false, timeSrc: "_start")
  |> keep(columns: ["_time", "_value", "_field", "subject"])
  |> group(columns: ["subject"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> limit(n: 100)
  |> yield(name: "values")
`,
    )
  })

  it('aggregates a site over both measurements when a device metric (battery) is asked for', () => {
    const flux = query({
      site: 'ward-3',
      metrics: ['ambient_temperature', 'battery_level'],
      start: '-7d',
      stop: '-1d',
      every: '1h',
      groupBy: 'none',
    })
    expect(flux).toBe(
      `from(bucket: "telemetry/autogen")
  |> range(start: -7d, stop: -1d)
  |> filter(fn: (r) => r._measurement == "vitals" or r._measurement == "environment")
  |> filter(fn: (r) => r.site == "ward-3")
  |> filter(fn: (r) => r._field == "ambient_temperature" or r._field == "battery_level")
  |> group(columns: ["_field"])
  |> aggregateWindow(every: 1h, fn: mean, createEmpty: false, timeSrc: "_start")
  |> keep(columns: ["_time", "_value", "_field"])
  |> group()
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> yield(name: "values")
`,
    )
  })

  it('reads quality as a second result, since float and string fields cannot share a table', () => {
    const flux = query({
      devices: ['bed-01', 'bed-02'],
      metrics: ['body_temperature'],
      start: '-2h',
      includeQuality: true,
      limit: 10,
    })
    expect(flux).toBe(
      `data = from(bucket: "telemetry/autogen")
  |> range(start: -2h)
  |> filter(fn: (r) => r._measurement == "vitals")
  |> filter(fn: (r) => r.device_id == "bed-01" or r.device_id == "bed-02")

data
  |> filter(fn: (r) => r._field == "body_temperature")
  |> keep(columns: ["_time", "_value", "_field", "device_id"])
  |> group(columns: ["device_id"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> limit(n: 10)
  |> yield(name: "values")

data
  |> filter(fn: (r) => r._field == "body_temperature_quality")
  |> keep(columns: ["_time", "_value", "_field", "device_id"])
  |> group(columns: ["device_id"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> limit(n: 10)
  |> yield(name: "quality")
`,
    )
  })

  it('maps every aggregate to a Flux function and re-serialises durations', () => {
    const fns = { mean: 'mean', min: 'min', max: 'max', last: 'last', first: 'first', count: 'count' }
    for (const [fn, flux] of Object.entries({ ...fns, sum: 'sum' })) {
      expect(query({ devices: ['d'], every: '01h030m', fn })).toContain(
        `aggregateWindow(every: 1h30m, fn: ${flux}, createEmpty: false`,
      )
    }
    expect(query({ devices: ['d'], start: '-007d' })).toContain('range(start: -7d)')
  })

  it('chooses measurements from metric families', () => {
    expect(measurementsFor(['heart_rate'])).toEqual(['vitals'])
    expect(measurementsFor(['vibration_rms'])).toEqual(['environment'])
    expect(measurementsFor(['heart_rate', 'vibration_rms'])).toEqual(['vitals', 'environment'])
    expect(measurementsFor(['battery_level'])).toEqual(['vitals', 'environment'])
  })
})

const HOSTILE = [
  'x") |> drop(columns:["_value"]) //',
  '$") or true) //',
  '$" or r.device_id != "',
  'a${r._value}b',
  '${',
  '$$${x}',
  '\\") |> yield() //',
  'back\\slash\\',
  '\\${"x"}',
  'quote"inside',
  'new\nline") |> drop()\n//',
  'cr\rtab\t',
  '"',
  '\\',
  '$',
  'Ünïcödé 漢字 🙂 \u2028 \u200f',
  '/* comment */ // x',
  'x" + "y',
]

describe('processors > query > escaping', () => {
  it('round-trips text through a Flux string literal', () => {
    for (const text of HOSTILE) {
      const lexed = lexFlux(fluxString(text))
      expect(lexed.skeleton, text).toBe('"…"')
      expect(lexed.literals, text).toEqual([text])
    }
  })

  it('never leaves a bare "$" (InfluxDB 1.8 reads "$" plus the next character as one token)', () => {
    expect(fluxString('$"')).toBe('"\\x24\\""')
    expect(fluxString('${x}')).toBe('"\\x24{x}"')
    expect(fluxString('a\\b"c\nd')).toBe('"a\\\\b\\"c\\nd"')
    for (const text of HOSTILE) expect(fluxString(text).replaceAll('\\x24', '')).not.toContain('$')
  })

  it('shows why "$" needs more than backslash escaping on 1.8', () => {
    const naive = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
    const lexed = lexFlux(`r.device_id == ${naive('$") or true) //')}`)
    expect(lexed.skeleton).not.toBe('r.device_id == "…"')
    expect(() => lexFlux(naive('${x}'))).toThrow(/interpolation/)
  })

  it('refuses control characters and lone surrogates', () => {
    for (const text of ['a\u0000b', 'bell\u0007', 'esc\u001b[2J', 'del\u007f', 'c1\u0085', 'half\ud800']) {
      expect(() => fluxString(text), JSON.stringify(text)).toThrow(ConfigError)
    }
  })

  it('keeps the query structure for a hostile device, subject, site or bucket', () => {
    const benign = query({ devices: ['dev-1'], metrics: ['heart_rate'], start: '-1h' })
    const shape = lexFlux(benign)
    const ids = HOSTILE.filter((id) => !/[\n\r\t]/.test(id))
    for (const id of ids) {
      const lexed = lexFlux(query({ devices: [id], metrics: ['heart_rate'], start: '-1h' }))
      expect(lexed.skeleton, id).toBe(shape.skeleton)
      expect(lexed.literals, id).toEqual(shape.literals.map((l) => (l === 'dev-1' ? id : l)))
    }
    for (const [key, value] of [
      ['subjects', ids],
      ['site', ids[0]],
    ] as const) {
      const lexed = lexFlux(query({ [key]: value, every: '1m', groupBy: 'none', metrics: ['spo2'] }))
      expect(lexed.literals).toEqual(expect.arrayContaining(Array.isArray(value) ? value : [value]))
    }
    const bucket = lexFlux(query({ devices: ['dev-1'], metrics: ['heart_rate'] }, '$") |> yield() //'))
    expect(bucket.skeleton).toBe(shape.skeleton)
    expect(bucket.literals[0]).toBe('$") |> yield() //')
  })

  it('differs from the benign query only inside the selector literal', () => {
    const benign = query({ devices: ['dev-1'], metrics: ['heart_rate'] })
    const hostile = query({ devices: ['x") |> drop(columns:["_value"]) //'], metrics: ['heart_rate'] })
    const [before, after] = benign.split('"dev-1"')
    expect(hostile.startsWith(before ?? '')).toBe(true)
    expect(hostile.endsWith(after ?? '')).toBe(true)
    expect(hostile.slice((before ?? '').length, hostile.length - (after ?? '').length)).toBe(
      '"x\\") |> drop(columns:[\\"_value\\"]) //"',
    )
  })
})
