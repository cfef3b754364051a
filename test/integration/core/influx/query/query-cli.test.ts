import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fluxQuery } from '../../../../../core/influx/query/flux.js'
import { querySpec } from '../../../../../core/influx/query/query-spec.js'
import { runCli } from '../../../../helpers/cli.js'
import { testInflux } from '../../../../helpers/services.js'
import { seed, WEIRD_ID, type Seeded } from './fixture.js'

let data: Seeded
beforeAll(async () => {
  data = await seed()
})
afterAll(async () => {
  await data?.drop()
})

const MINUTE = 60_000
/** The CLI against the test database, over the fixture's three minutes. */
const query = (...args: string[]) =>
  runCli([
    'query',
    '--influx-url',
    testInflux.url,
    '--bucket',
    data.bucket,
    '--start',
    data.iso(0),
    '--stop',
    data.iso(3 * MINUTE),
    ...args,
  ])

/** RFC 4180, enough for the tests: quoted fields with doubled quotes and embedded separators. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"'
      i += 1
    } else if (c === '"') {
      quoted = !quoted
    } else if (!quoted && c === ',') {
      row.push(field)
      field = ''
    } else if (!quoted && c === '\n') {
      rows.push([...row, field])
      row = []
      field = ''
    } else {
      field += c
    }
  }
  return rows
}

describe('integration > processors > query > pulsewire query', () => {
  it('prints raw readings as an aligned table with units and quality', () => {
    const result = query('--device', 'bed-01', '--metric', 'heart_rate,spo2', '--quality', '--limit', '3')
    expect(result.stderr).toBe('note: a series reached --limit 3; later rows were not fetched\n')
    expect(result.status).toBe(0)
    expect(result.stdout).toBe(
      [
        'time                      device  heart_rate (/min)  heart_rate_quality  spo2 (%)  spo2_quality',
        `${data.iso(0)}  bed-01                 60  valid                     97  valid`,
        `${data.iso(15_000)}  bed-01                 62  motion                    98  motion`,
        `${data.iso(30_000)}  bed-01                 64  valid                     96  valid`,
        '',
      ].join('\n'),
    )
  })

  it('aggregates a mean per 1 m window: exact values as JSON and as a table', () => {
    const args = ['--device', 'bed-01', 'bed-02', '--metric', 'heart_rate', '--every', '1m', '--fn', 'mean']
    const json = query(...args, '--format', 'json')
    expect(json.status).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual([
      { time: data.iso(0), device: 'bed-01', heart_rate: 63 },
      { time: data.iso(MINUTE), device: 'bed-01', heart_rate: 74.5 },
      { time: data.iso(0), device: 'bed-02', heart_rate: 83.25 },
      { time: data.iso(MINUTE), device: 'bed-02', heart_rate: 86 },
    ])
    expect(query(...args).stdout.split('\n')).toEqual([
      'time                      device  heart_rate (/min)',
      `${data.iso(0)}  bed-01               63.0`,
      `${data.iso(MINUTE)}  bed-01               74.5`,
      `${data.iso(0)}  bed-02               83.3`,
      `${data.iso(MINUTE)}  bed-02               86.0`,
      '',
    ])
  })

  it('writes CSV that parses back, including an id that needs quoting', () => {
    const result = query(
      '--device',
      WEIRD_ID,
      'bed-03',
      '--metric',
      'heart_rate',
      '--every',
      '1m',
      '--fn',
      'max',
      '--format',
      'csv',
    )
    expect(result.status).toBe(0)
    expect(parseCsv(result.stdout)).toEqual([
      ['time', 'device', 'heart_rate'],
      [data.iso(0), 'bed-03', '103'],
      [data.iso(0), WEIRD_ID, '58'],
    ])
  })

  it('prints the generated Flux without running it, and that Flux runs', async () => {
    const args = [
      '--site',
      'ward-3',
      '--metric',
      'ambient_temperature',
      '--every',
      '1m',
      '--group-by',
      'site',
    ]
    const result = runCli(['query', '--bucket', data.bucket, '--since', '2h', ...args, '--flux'])
    expect(result.status).toBe(0)
    expect(result.stderr).toBe('')
    const spec = querySpec({
      site: 'ward-3',
      metrics: ['ambient_temperature'],
      every: '1m',
      groupBy: 'site',
      start: '-2h',
    })
    expect(result.stdout).toBe(fluxQuery(spec, data.bucket))
    expect(result.stdout).toContain('|> range(start: -2h)\n')
    const rows = await data.influx.query<{ site: string; ambient_temperature: number }>(result.stdout)
    expect(rows.map((r) => [r.site, r.ambient_temperature])).toEqual([['ward-3', 21.625]])
  })

  it('finds nothing, without an error, for hostile ids', () => {
    for (const id of [
      'x") |> drop(columns:["_value"]) //',
      '$" or true) //',
      '${r.device_id}',
      'bed-01" or "1" == "1',
    ]) {
      const table = query('--device', id, '--metric', 'heart_rate')
      expect(table.stderr, id).toBe('')
      expect(table.status, id).toBe(0)
      expect(table.stdout, id).toMatch(/^no data for device ".*" from \S+ to \S+\n$/)
      const json = query('--device', id, '--format', 'json')
      expect([json.status, json.stdout, json.stderr]).toEqual([0, '[]\n', ''])
      expect(query('--device', id, '--format', 'csv').stdout).toBe('')
    }
  })

  it('exits 78 listing every problem of the command line', () => {
    const result = runCli([
      'query',
      '--device',
      'a',
      '--site',
      'b',
      '--metric',
      'hr',
      '--since',
      '5x',
      '--every',
      '0m',
      '--fn',
      'avg',
      '--format',
      'xml',
      '--limit',
      'ten',
      '--influx-url',
      'not a url',
    ])
    expect(result.status).toBe(78)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('error [CFG_INVALID] invalid configuration (pulsewire query): 8 problems')
    for (const flag of ['--metric #1', '--since', '--every', '--fn', '--format', '--limit', '--influx-url']) {
      expect(result.stderr).toContain(`  - ${flag}: `)
    }
    expect(result.stderr).toContain('  - --device/--subject/--site: give only one of devices, subjects, site')
    const times = runCli([
      'query',
      '--device',
      'a',
      '--start',
      '2024-05-01T10:00:00Z',
      '--stop',
      '2024-05-01T09:00',
    ])
    expect(times.status).toBe(78)
    expect(times.stderr).toContain('--stop: "2024-05-01T09:00": expected a relative duration')
    const order = runCli(['query', '--device', 'a', '--since', '1h', '--stop', '2h', '--fn', 'max'])
    expect(order.status).toBe(78)
    expect(order.stderr).toContain('2 problems')
    expect(order.stderr).toContain('--stop: must be after start (start -1h, stop -2h)')
  })

  it('says clearly when InfluxDB cannot be reached, or the bucket does not exist', () => {
    const down = runCli(['query', '--device', 'a', '--influx-url', 'http://127.0.0.1:1'])
    expect(down.status).toBe(1)
    expect(down.stderr).toMatch(
      /^error \[INFLUX_UNAVAILABLE\] cannot reach InfluxDB at http:\/\/127\.0\.0\.1:1/,
    )
    const missing = runCli([
      'query',
      '--device',
      'a',
      '--influx-url',
      testInflux.url,
      '--bucket',
      `${data.database}_nope/autogen`,
    ])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain(
      `error [INFLUX_QUERY_FAILED] bucket "${data.database}_nope/autogen" does not exist`,
    )
  })

  it('has --help with examples', () => {
    const help = runCli(['query', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage: pulsewire query [options]')
    expect(help.stdout).toContain('Examples:\n  $ pulsewire query --device bed-01')
    expect(runCli(['--help']).stdout).toMatch(/\n {2}query \[options\] +Time series from InfluxDB/)
  })
})
