import { describe, expect, it } from 'vitest'
import {
  csvField,
  decimalsFor,
  formatCsv,
  formatJson,
  formatResult,
  formatTable,
} from '../../../../../core/influx/query/format.js'
import type { QueryResult } from '../../../../../core/influx/query/run-query.js'

const raw: QueryResult = {
  columns: [
    { name: 'time', kind: 'time' },
    { name: 'device', kind: 'key' },
    { name: 'heart_rate', kind: 'value', metric: 'heart_rate' },
    { name: 'heart_rate_quality', kind: 'quality', metric: 'heart_rate' },
    { name: 'body_temperature', kind: 'value', metric: 'body_temperature' },
  ],
  rows: [
    ['2024-05-01T10:00:00.000Z', 'bed-01', 72, 'valid', 37.25],
    ['2024-05-01T10:00:01.000Z', 'bed-01', 105, 'motion', null],
    ['2024-05-01T10:00:00.000Z', 'bed-1002', 8, null, 36],
  ],
  fn: undefined,
  truncated: false,
}

const windowed = (fn: QueryResult['fn']): QueryResult => ({
  columns: [
    { name: 'time', kind: 'time' },
    { name: 'site', kind: 'key' },
    { name: 'spo2', kind: 'value', metric: 'spo2' },
    { name: 'ambient_temperature', kind: 'value', metric: 'ambient_temperature' },
  ],
  rows: [['2024-05-01T10:00:00.000Z', 'ward-3', 96.5, 21.456]],
  fn,
  truncated: false,
})

describe('processors > query > format', () => {
  it('aligns a table: numbers right, text left, units in headers, decimals from the resolution', () => {
    expect(formatTable(raw).split('\n')).toEqual([
      'time                      device    heart_rate (/min)  heart_rate_quality  body_temperature (Cel)',
      '2024-05-01T10:00:00.000Z  bed-01                   72  valid                                 37.3',
      '2024-05-01T10:00:01.000Z  bed-01                  105  motion                                   -',
      '2024-05-01T10:00:00.000Z  bed-1002                  8  -                                     36.0',
      '',
    ])
  })

  it('shows one more decimal for means and medians, none for counts, and "n" as a count unit', () => {
    expect(decimalsFor('spo2', undefined)).toBe(0)
    expect(decimalsFor('spo2', 'mean')).toBe(1)
    expect(decimalsFor('ambient_temperature', 'median')).toBe(3)
    expect(decimalsFor('ambient_temperature', 'max')).toBe(2)
    expect(decimalsFor('body_temperature', 'count')).toBe(0)
    expect(formatTable(windowed('mean'))).toBe(
      'time                      site    spo2 (%)  ambient_temperature (Cel)\n' +
        '2024-05-01T10:00:00.000Z  ward-3      96.5                     21.456\n',
    )
    const counted = { ...windowed('count'), rows: [['2024-05-01T10:00:00.000Z', 'ward-3', 60, 12]] }
    expect(formatTable(counted).split('\n')[0]).toBe(
      'time                      site    spo2 (n)  ambient_temperature (n)',
    )
  })

  it('keeps tag text from moving the cursor', () => {
    const hostile = { ...raw, rows: [['2024-05-01T10:00:00.000Z', 'x\u001b[2J\ny', 1, 'valid', 36.6]] }
    const table = formatTable(hostile)
    expect(table).not.toContain('\u001b')
    expect(table).not.toContain('x\ny')
    expect(table).toContain('x\ufffd[2J\ufffdy')
  })

  it('prints one line for an empty table and nothing (CSV) or [] (JSON) otherwise', () => {
    const empty = { ...raw, rows: [] }
    expect(formatResult(empty, 'table', { emptyMessage: 'no data for device "bed-01"' })).toBe(
      'no data for device "bed-01"\n',
    )
    expect(formatTable(empty)).toBe('no data in this time range\n')
    expect(formatCsv(empty)).toBe('')
    expect(formatJson(empty)).toBe('[]\n')
  })

  it('writes CSV with RFC 4180 quoting and full precision', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\r')).toBe('"cr\r"')
    expect(csvField(null)).toBe('')
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004')
    const quoted = { ...raw, rows: [['2024-05-01T10:00:00.000Z', 'bed "7", west', 72, 'valid', null]] }
    expect(formatResult(quoted, 'csv')).toBe(
      'time,device,heart_rate,heart_rate_quality,body_temperature\n' +
        '2024-05-01T10:00:00.000Z,"bed ""7"", west",72,valid,\n',
    )
  })

  it('writes JSON objects keyed by column, with ISO times and nulls', () => {
    const parsed = JSON.parse(formatResult(raw, 'json')) as unknown
    expect(parsed).toEqual([
      {
        time: '2024-05-01T10:00:00.000Z',
        device: 'bed-01',
        heart_rate: 72,
        heart_rate_quality: 'valid',
        body_temperature: 37.25,
      },
      {
        time: '2024-05-01T10:00:01.000Z',
        device: 'bed-01',
        heart_rate: 105,
        heart_rate_quality: 'motion',
        body_temperature: null,
      },
      {
        time: '2024-05-01T10:00:00.000Z',
        device: 'bed-1002',
        heart_rate: 8,
        heart_rate_quality: null,
        body_temperature: 36,
      },
    ])
  })
})
