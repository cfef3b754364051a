import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInfluxAdapter } from '../../../../../core/influx/client.js'
import { HEADERS } from '../../../../../core/telemetry/headers.js'
import { envelopeToPoints } from '../../../../../processors/storage/points.js'
import { runCli } from '../../../../helpers/cli.js'
import { testInflux, unique } from '../../../../helpers/services.js'
import { envelope, sample } from '../../../../helpers/telemetry-fixtures.js'

// 20 minutes of SpO2 at 1 Hz from one bed: 97/98 %, a 3 s desaturation to 84 % at minute 5,
// and no readings at all from minute 12 to 14 (the monitor was off).
const SECONDS = 20 * 60
const DIP = { from: 300, to: 303 }
const OFF = { from: 720, to: 840 }
const database = unique('it_chart').replaceAll('-', '_')
const bucket = `${database}/autogen`
const t0 = Math.floor(Date.now() / 600_000) * 600_000 - 40 * 60_000
const iso = (s: number): string => new Date(t0 + s * 1000).toISOString()

beforeAll(async () => {
  const influx = createInfluxAdapter({ ...testInflux, bucket })
  await influx.ensureBucket()
  const headers = {
    [HEADERS.deviceType]: Buffer.from('bedside-monitor'),
    [HEADERS.site]: Buffer.from('ward-7'),
  }
  const points: string[] = []
  for (let s = 0; s < SECONDS; s++) {
    if (s >= OFF.from && s < OFF.to) continue
    const spo2 = s >= DIP.from && s < DIP.to ? 84 : 97 + (s % 2)
    const mapped = envelopeToPoints(
      'vitals',
      envelope('chart-bed', s + 1, t0 + s * 1000, [sample('spo2', spo2)], 'bedside-monitor'),
      headers,
    )
    if (!mapped.ok) throw new Error(mapped.error.detail)
    points.push(...mapped.value.points.map((p) => p.line))
  }
  await influx.write(points)
})
afterAll(async () => {
  await fetch(new URL('/query', testInflux.url), {
    method: 'POST',
    body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
  })
})

const query = (...args: string[]) =>
  runCli(['query', '--influx-url', testInflux.url, '--bucket', bucket, '--device', 'chart-bed', ...args])

/** The plot rows of a chart: label, axis, line. */
const plotRows = (chart: string): string[] => chart.split('\n').filter((l) => /^ *\d+(\.\d+)? [┤┼]/.test(l))

describe('integration > core > influx > query > pulsewire query --chart', () => {
  it('draws 1200 stored readings in 60 columns: the 3 s dip at full depth, the pause as a gap', () => {
    const result = query(
      '--metric',
      'spo2',
      '--start',
      iso(0),
      '--stop',
      iso(SECONDS),
      '--chart',
      '--width',
      '60',
    )
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const lines = result.stdout.split('\n')
    expect(lines[0]).toBe('device chart-bed · SpO2 (spo2, %)')
    const rows = plotRows(result.stdout)
    expect(rows).toHaveLength(10)
    expect(rows[0]).toMatch(/^98 [┤┼]/)
    expect(rows[rows.length - 1]).toMatch(/^84 [┤┼]/)
    // The bottom row holds the dip: a line reaches it, not only the label.
    expect(rows[rows.length - 1]?.slice(4)).toMatch(/[╰╯─]/)
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(60)
    // The 2-minute pause is blank on every row at the same columns: a gap, not a fall to 0.
    const cells = rows.map((r) => [...r.slice(4)])
    const width = Math.max(...cells.map((c) => c.length))
    const blank = Array.from({ length: width }, (_, j) => cells.every((c) => (c[j] ?? ' ') === ' '))
    const inner = blank.slice(0, blank.lastIndexOf(false))
    // 120 s of 1200 on 27 buckets of 44 s: two whole buckets are empty, drawn blank.
    expect(inner.filter(Boolean).length, rows.join('\n')).toBeGreaterThanOrEqual(2)
    expect(inner.filter(Boolean).length, rows.join('\n')).toBeLessThanOrEqual(7)
    expect(result.stdout).toContain(`${iso(0).replace('.000Z', 'Z')}`)
    expect(result.stdout).toContain(`${iso(SECONDS - 1).replace('.000Z', 'Z')}`)
    expect(result.stdout).not.toMatch(/^ *0 [┤┼]/m)
  })

  it('charts windowed aggregates with the decimals of the aggregate, a window with no data as a gap', () => {
    const result = query(
      ...['--metric', 'spo2', '--start', iso(0), '--stop', iso(SECONDS)],
      ...['--every', '1m', '--fn', 'mean', '--chart', '--width', '50', '--height', '5'],
    )
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout.split('\n')[0]).toBe('device chart-bed · SpO2 (spo2, %, mean per 1m)')
    const rows = plotRows(result.stdout)
    expect(rows).toHaveLength(5)
    for (const row of rows) expect(row).toMatch(/^\d+\.\d [┤┼]/)
    const min = query(
      ...['--metric', 'spo2', '--start', iso(0), '--stop', iso(SECONDS)],
      ...['--every', '1m', '--fn', 'min', '--chart', '--width', '50', '--height', '5'],
    )
    expect(min.status, min.stderr).toBe(0)
    expect(plotRows(min.stdout).at(-1)).toMatch(/^84 [┤┼]/)
  })

  it('refuses --chart with --format csv or json, and --width without --chart (exit 78)', () => {
    for (const format of ['csv', 'json']) {
      const result = query('--metric', 'spo2', '--since', '1h', '--chart', '--format', format)
      expect(result.status).toBe(78)
      expect(result.stderr).toContain(`--chart: draws for a terminal and cannot be written as ${format}`)
      expect(result.stdout).toBe('')
    }
    const width = query('--metric', 'spo2', '--since', '1h', '--width', '80')
    expect(width.status).toBe(78)
    expect(width.stderr).toContain('--width: applies only with --chart')
  })
})
