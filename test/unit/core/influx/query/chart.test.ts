import { describe, expect, it } from 'vitest'
import { renderChart, resample, type ChartPoint } from '../../../../../core/influx/query/chart.js'

const T0 = Date.UTC(2026, 11, 3, 0, 0, 0)
const series = (values: ReadonlyArray<number | null>, stepMs = 1_000): ChartPoint[] =>
  values.map((value, i) => ({ timeMs: T0 + i * stepMs, value }))

describe('core > influx > query > chart', () => {
  it('draws a known series as a known shape, with labels at the decimals given and the times below', () => {
    const chart = renderChart(
      {
        title: 'device bed-01 · Heart rate (heart_rate, /min)',
        points: series([60, 61, 62, 63]),
        decimals: 0,
      },
      { width: 40, height: 4 },
    )
    expect(chart).toBe(
      [
        'device bed-01 · Heart rate (heart_rate, /min)',
        '63 ┤     ╭─',
        '62 ┤   ╭─╯',
        '61 ┤ ╭─╯',
        '60 ┼─╯',
        '   └───────',
        '   2026-12-03T00:00:00Z … 2026-12-03T00:00:03Z',
        '',
      ].join('\n'),
    )
  })

  it('keeps a short desaturation dip when 600 readings are resampled to a few columns', () => {
    const values = Array.from({ length: 600 }, (_, i) => (i >= 300 && i < 303 ? 84 : 97))
    const columns = resample(series(values), 40)
    expect(columns).toHaveLength(40)
    expect(Math.min(...columns.filter((v) => v !== null))).toBe(84)
    const chart = renderChart(
      { title: 'spo2', points: series(values), decimals: 0 },
      { width: 44, height: 5 },
    )
    const rows = chart.split('\n')
    expect(rows[1]).toMatch(/^97 ┼─+╮ ?╭─+$/)
    expect(rows.some((r) => r.startsWith('84 ┤') && /[╰╯]/.test(r))).toBe(true)
  })

  it('keeps min and max of a bucket in the order they occurred', () => {
    expect(resample(series([5, 9, 1, 5]), 2)).toEqual([9, 1])
    expect(resample(series([5, 1, 9, 5]), 2)).toEqual([1, 9])
  })

  it('shows missing values as gaps, not zeros, and does not open gaps for jitter', () => {
    expect(resample(series([1, null, 3]), 10)).toEqual([1, 1, null, null, 3, 3])
    const jittered = [0, 1_004, 1_996, 3_010].map((ms, i) => ({ timeMs: T0 + ms, value: i }))
    expect(resample(jittered, 10)).toEqual([0, 0, 1, 1, 2, 2, 3, 3])
    const chart = renderChart(
      { title: 'gap', points: series([5, 5, null, null, 5, 5]), decimals: 0 },
      {
        width: 40,
        height: 3,
      },
    )
    const plot = chart.split('\n')[1] ?? ''
    expect(plot).toBe('5 ┼───    ────')
    expect(chart).not.toMatch(/\b0\b/)
  })

  it('says so when a series has no values at all', () => {
    const chart = renderChart(
      { title: 'empty', points: series([null, null]), decimals: 1 },
      { width: 40, height: 3 },
    )
    expect(chart).toBe('empty\n  (no values in this range)\n')
  })
})
