import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fluxQuery } from '../../../../../core/influx/query/flux.js'
import { AGGREGATE_FNS, querySpec, type QuerySpecInput } from '../../../../../core/influx/query/query-spec.js'
import { runQuery } from '../../../../../core/influx/query/run-query.js'
import { aggregate, minuteValues, seed, WEIRD_ID, type Seeded } from './fixture.js'

let data: Seeded
beforeAll(async () => {
  data = await seed()
})
afterAll(async () => {
  await data?.drop()
})

const MINUTE = 60_000
const run = (input: QuerySpecInput) =>
  runQuery(data.influx, querySpec({ start: data.iso(0), stop: data.iso(3 * MINUTE), ...input }), data.bucket)

describe('integration > processors > query > generated Flux on InfluxDB 1.8', () => {
  it('computes every aggregate function per device and minute exactly', async () => {
    for (const fn of AGGREGATE_FNS) {
      const result = await run({ devices: ['bed-02', 'bed-01'], metrics: ['heart_rate'], every: '1m', fn })
      const expected = ['bed-01', 'bed-02'].flatMap((id) =>
        minuteValues('heart_rate', (d) => d.id === id).map((values, minute) => [
          data.iso(minute * MINUTE),
          id,
          aggregate(fn, values),
        ]),
      )
      expect(result.rows, fn).toEqual(expected)
      expect(result.columns.map((c) => c.name)).toEqual(['time', 'device', 'heart_rate'])
    }
  })

  it('aggregates across the devices of a subject, a site, or everything selected', async () => {
    const bySubject = await run({
      subjects: ['s-1'],
      metrics: ['heart_rate'],
      every: '1m',
      fn: 'median',
      groupBy: 'subject',
    })
    expect(bySubject.rows).toEqual([
      [data.iso(0), 's-1', (66 + 100) / 2],
      [data.iso(MINUTE), 's-1', (72 + 75) / 2],
    ])
    const bySite = await run({
      site: 'ward-3',
      metrics: ['heart_rate', 'ambient_temperature'],
      every: '1m',
      groupBy: 'site',
    })
    const ward3 = minuteValues('heart_rate', (d) => d.site === 'ward-3')
    expect(bySite.rows).toEqual([
      [data.iso(0), 'ward-3', aggregate('mean', ward3[0] ?? []), 21.625],
      [data.iso(MINUTE), 'ward-3', aggregate('mean', ward3[1] ?? []), null],
    ])
    const all = await run({
      devices: ['bed-01', 'bed-02', 'bed-03'],
      metrics: ['heart_rate'],
      every: '2m',
      fn: 'sum',
      groupBy: 'none',
    })
    const total = minuteValues('heart_rate', (d) => d.id.startsWith('bed-')).flat()
    expect(all.rows).toEqual([[data.iso(0), aggregate('sum', total)]])
    const perSubject = await run({
      site: 'ward-3',
      metrics: ['battery_level'],
      every: '1m',
      fn: 'count',
      groupBy: 'subject',
    })
    expect(perSubject.rows).toEqual([[data.iso(0), null, 4]])
  })

  it('lists raw readings with their quality, up to the limit per series', async () => {
    const result = await run({
      devices: ['bed-01'],
      metrics: ['heart_rate', 'spo2'],
      includeQuality: true,
      limit: 3,
    })
    expect(result.rows).toEqual([
      [data.iso(0), 'bed-01', 60, 'valid', 97, 'valid'],
      [data.iso(15_000), 'bed-01', 62, 'motion', 98, 'motion'],
      [data.iso(30_000), 'bed-01', 64, 'valid', 96, 'valid'],
    ])
    expect(result.truncated).toBe(true)
  })

  it('shows the metrics a device has when none are named, over a relative range', async () => {
    const result = await runQuery(data.influx, querySpec({ devices: ['env-01'], start: '-2h' }), data.bucket)
    expect(result.columns.map((c) => c.name)).toEqual([
      'time',
      'device',
      'ambient_temperature',
      'battery_level',
    ])
    expect(result.rows[0]).toEqual([data.iso(0), 'env-01', 21.25, 80])
    expect(result.rows).toHaveLength(4)
  })

  it('matches a stored id full of quotes, backslashes, "$", commas and unicode exactly', async () => {
    const result = await run({ devices: [WEIRD_ID, 'bed-03'], metrics: ['heart_rate'] })
    expect(result.rows.map((r) => [r[1], r[2]])).toEqual([
      ['bed-03', 100],
      ['bed-03', 101],
      ['bed-03', 102],
      ['bed-03', 103],
      [WEIRD_ID, 55],
      [WEIRD_ID, 56],
      [WEIRD_ID, 57],
      [WEIRD_ID, 58],
    ])
  })

  it('keeps hostile ids inside their literal, where plain backslash escaping would leak every device', async () => {
    const hostile = '$" or true) //'
    const spec = querySpec({
      devices: [hostile],
      metrics: ['heart_rate'],
      start: data.iso(0),
      stop: data.iso(3 * MINUTE),
    })
    expect((await runQuery(data.influx, spec, data.bucket)).rows).toEqual([])
    // The same query with only `\` and `"` escaped: InfluxDB 1.8 ends the literal after `$\`.
    const naive = fluxQuery(spec, data.bucket).replace(
      /r\.device_id == "[^\n]*"\)\n/,
      `r.device_id == "${hostile.replace(/[\\"]/g, (c) => `\\${c}`)}")\n`,
    )
    const leaked = await data.influx.query<{ device_id: string }>(naive)
    expect(new Set(leaked.map((r) => r.device_id))).toEqual(new Set(['bed-01', 'bed-02', 'bed-03', WEIRD_ID]))
    for (const id of [
      'x") |> drop(columns:["_value"]) //',
      '${r.device_id}',
      '\\',
      '"',
      'bed-01" or "1" == "1',
    ]) {
      const rows = await run({ devices: [id], metrics: ['heart_rate'] })
      expect(rows.rows, id).toEqual([])
    }
  })
})
