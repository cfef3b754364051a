import asciichart from 'asciichart'

/** One point of a series; null is a reading or window without a value (a gap). */
export interface ChartPoint {
  timeMs: number
  value: number | null
}

export interface ChartInput {
  /** First line: who (device, subject or site) and what (metric, unit). */
  title: string
  points: readonly ChartPoint[]
  /** Decimals of the y labels (decimalsFor: the metric's resolution). */
  decimals: number
}

export interface ChartOptions {
  /** Terminal columns the chart may use, labels included. */
  width: number
  /** Rows of the plot area. */
  height: number
}

export const MIN_CHART_WIDTH = 24
export const MIN_CHART_HEIGHT = 2

/**
 * A series resampled onto at most `columns` columns: time is cut into equal buckets over the
 * series' span, and each bucket gives two columns, its minimum and its maximum in the order
 * they occurred. A mean per bucket would fill in a short desaturation dip; min/max keeps its
 * depth whatever the zoom. A bucket without a value is null twice: a gap, never a zero.
 *
 * The bucket is at least the series' median spacing, so a series with fewer points than
 * columns is not stretched into gaps, and only a pause longer than the usual spacing shows as
 * one. Points are bucketed to the nearest bucket centre, so jitter does not open false gaps.
 */
export function resample(points: readonly ChartPoint[], columns: number): Array<number | null> {
  const first = points[0]
  const last = points[points.length - 1]
  const maxBuckets = Math.floor(columns / 2)
  if (!first || !last || maxBuckets < 1) return []
  const spanMs = last.timeMs - first.timeMs
  const bucketMs = Math.max(medianStepMs(points), spanMs / Math.max(1, maxBuckets - 1))
  const count = Math.min(maxBuckets, bucketMs > 0 ? Math.round(spanMs / bucketMs) + 1 : 1)
  const buckets = Array.from({ length: count }, () => [] as number[])
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) continue
    const index = bucketMs > 0 ? Math.min(count - 1, Math.round((p.timeMs - first.timeMs) / bucketMs)) : 0
    buckets[index]?.push(p.value)
  }
  return buckets.flatMap((values): Array<number | null> => {
    if (values.length === 0) return [null, null]
    let lo = 0
    let hi = 0
    for (const [i, v] of values.entries()) {
      if (v < (values[lo] ?? v)) lo = i
      if (v > (values[hi] ?? v)) hi = i
    }
    const a = values[Math.min(lo, hi)] ?? null
    const b = values[Math.max(lo, hi)] ?? null
    return [a, b]
  })
}

function medianStepMs(points: readonly ChartPoint[]): number {
  const steps: number[] = []
  for (let i = 1; i < points.length; i++) {
    const step = (points[i]?.timeMs ?? 0) - (points[i - 1]?.timeMs ?? 0)
    if (step > 0) steps.push(step)
  }
  steps.sort((a, b) => a - b)
  return steps[Math.floor(steps.length / 2)] ?? 0
}

/** A time as the table prints it, without milliseconds when they are zero. */
export function chartTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

/**
 * Title, plot with y labels, an x axis and a line with the first and last time. Pure: the
 * same input draws the same text, so tests pin the shape.
 */
export function renderChart(input: ChartInput, options: ChartOptions): string {
  const lines = [input.title]
  const values = input.points.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v))
  const first = input.points[0]
  const last = input.points[input.points.length - 1]
  if (values.length === 0 || !first || !last) return [...lines, '  (no values in this range)', ''].join('\n')
  const min = Math.min(...values)
  const max = Math.max(...values)
  const labelWidth = Math.max(min.toFixed(input.decimals).length, max.toFixed(input.decimals).length) + 1
  // The label, the axis column, and one column asciichart leaves blank at the end.
  const plotColumns = Math.max(2, Math.max(MIN_CHART_WIDTH, options.width) - labelWidth - 2)
  const series = resample(input.points, plotColumns)
  const plotted = asciichart.plot(filled(series), {
    min,
    max,
    height: Math.max(MIN_CHART_HEIGHT, options.height) - 1,
    offset: 2,
    format: (v) => `${v.toFixed(input.decimals).padStart(labelWidth - 1)} `,
  })
  for (const row of plotted.split('\n')) lines.push(withGaps(row, labelWidth, series).trimEnd())
  const indent = ' '.repeat(labelWidth)
  lines.push(`${indent}└${'─'.repeat(series.length - 1)}`)
  const start = chartTime(first.timeMs)
  const stop = chartTime(last.timeMs)
  const room = series.length + 1 - start.length - stop.length
  lines.push(room >= 1 ? `${indent}${start}${' '.repeat(room)}${stop}` : `${indent}${start} … ${stop}`)
  return `${lines.join('\n')}\n`
}

/** Gaps take the value after them (or before, at the end), so the line resumes level; the columns are blanked afterwards. */
function filled(series: ReadonlyArray<number | null>): number[] {
  const out = new Array<number>(series.length)
  let next: number | undefined
  for (let i = series.length - 1; i >= 0; i--) {
    next = series[i] ?? next
    out[i] = next ?? Number.NaN
  }
  let previous = Number.NaN
  for (let i = 0; i < series.length; i++) {
    const value = series[i]
    if (value !== null && value !== undefined) previous = value
    if (Number.isNaN(out[i])) out[i] = previous
  }
  return out
}

/** asciichart draws point i in column i after the label (point 0 on the axis): blank the gaps there. */
function withGaps(row: string, labelWidth: number, series: ReadonlyArray<number | null>): string {
  const cells = [...row.slice(labelWidth)]
  for (const [i, value] of series.entries()) {
    if (value !== null || i >= cells.length) continue
    cells[i] = i === 0 ? '┤' : ' '
  }
  return row.slice(0, labelWidth) + cells.join('')
}
