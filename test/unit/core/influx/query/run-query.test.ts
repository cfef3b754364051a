import { describe, expect, it } from 'vitest'
import { fluxQuery } from '../../../../../core/influx/query/flux.js'
import { querySpec, type QuerySpecInput } from '../../../../../core/influx/query/query-spec.js'
import { runQuery, toResult } from '../../../../../core/influx/query/run-query.js'

const NOW = Date.parse('2024-05-01T12:00:00Z')
const spec = (input: QuerySpecInput) => querySpec(input, NOW)

describe('processors > query > result mapping', () => {
  it('merges values and quality by series and time, sorted by series then time', () => {
    const result = toResult(
      spec({ devices: ['b', 'a'], metrics: ['heart_rate', 'spo2'], includeQuality: true }),
      [
        { result: 'values', table: 0, _time: '2024-05-01T10:00:01Z', device_id: 'b', heart_rate: 70 },
        {
          result: 'values',
          table: 0,
          _time: '2024-05-01T10:00:00Z',
          device_id: 'b',
          heart_rate: 71,
          spo2: 97,
        },
        { result: 'values', table: 1, _time: '2024-05-01T10:00:00Z', device_id: 'a', heart_rate: 60 },
        {
          result: 'quality',
          table: 0,
          _time: '2024-05-01T10:00:00Z',
          device_id: 'b',
          heart_rate_quality: 'valid',
        },
        {
          result: 'quality',
          table: 1,
          _time: '2024-05-01T10:00:00Z',
          device_id: 'a',
          heart_rate_quality: 'motion',
        },
      ],
    )
    expect(result.columns.map((c) => c.name)).toEqual([
      'time',
      'device',
      'heart_rate',
      'heart_rate_quality',
      'spo2',
      'spo2_quality',
    ])
    expect(result.rows).toEqual([
      ['2024-05-01T10:00:00.000Z', 'a', 60, 'motion', null, null],
      ['2024-05-01T10:00:00.000Z', 'b', 71, 'valid', 97, null],
      ['2024-05-01T10:00:01.000Z', 'b', 70, null, null, null],
    ])
    expect(result).toMatchObject({ fn: undefined, truncated: false })
  })

  it('shows only metrics with data when none were asked for, and keys aggregates by the grouping', () => {
    const result = toResult(spec({ site: 'w', every: '1m', fn: 'count', groupBy: 'subject' }), [
      { result: 'values', _time: '2024-05-01T10:00:00Z', subject: 's-2', spo2: 60 },
      { result: 'values', _time: '2024-05-01T10:00:00Z', spo2: 12 },
    ])
    expect(result.columns).toEqual([
      { name: 'time', kind: 'time' },
      { name: 'subject', kind: 'key' },
      { name: 'spo2', kind: 'value', metric: 'spo2' },
    ])
    expect(result.rows).toEqual([
      ['2024-05-01T10:00:00.000Z', null, 12],
      ['2024-05-01T10:00:00.000Z', 's-2', 60],
    ])
    expect(result.fn).toBe('count')
    const none = toResult(spec({ site: 'w', every: '1m', groupBy: 'none', metrics: ['spo2'] }), [])
    expect(none.columns.map((c) => c.name)).toEqual(['time', 'spo2'])
  })

  it('flags a series that reached the limit', () => {
    const limited = spec({ devices: ['a', 'b'], metrics: ['spo2'], limit: 2 })
    const rows = [
      { _time: '2024-05-01T10:00:00Z', device_id: 'a', spo2: 1 },
      { _time: '2024-05-01T10:00:01Z', device_id: 'a', spo2: 2 },
      { _time: '2024-05-01T10:00:00Z', device_id: 'b', spo2: 3 },
    ]
    expect(toResult(limited, rows).truncated).toBe(true)
    expect(toResult(limited, rows.slice(1)).truncated).toBe(false)
  })

  it('runs the generated query through the adapter', async () => {
    const seen: string[] = []
    const query = spec({ devices: ['a'], metrics: ['spo2'] })
    const result = await runQuery(
      {
        query: <Row>(flux: string) => {
          seen.push(flux)
          return Promise.resolve([{ _time: '2024-05-01T10:00:00Z', device_id: 'a', spo2: 97 }] as Row[])
        },
      },
      query,
      'db/autogen',
    )
    expect(seen).toEqual([fluxQuery(query, 'db/autogen')])
    expect(result.rows).toEqual([['2024-05-01T10:00:00.000Z', 'a', 97]])
  })
})
