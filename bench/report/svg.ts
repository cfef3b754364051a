/**
 * A small server-side SVG builder for the bench reports: line charts with linear axes, drawn
 * as plain SVG 1.1 text so a report opens offline, with no script and no CDN. Every label
 * passes through `escapeXml`, so a device id or a command line cannot break the document.
 */
export interface LineSeries {
  name: string
  /** [x, y]; a null y is a gap in the line. */
  points: ReadonlyArray<readonly [number, number | null]>
}

export interface LineChartSpec {
  title: string
  xLabel: string
  yLabel: string
  series: readonly LineSeries[]
  width?: number
  height?: number
  /** Tick label of an x value (default: the number). */
  formatX?: (x: number) => string
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf']
const MARGIN = { left: 64, right: 16, top: 32, bottom: 48 }
const LEGEND_WIDTH = 130

export function escapeXml(text: string): string {
  // Characters XML 1.0 forbids outright are replaced, not escaped: they have no escape.
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`)
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude
  const ticks: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)))
  return ticks
}

const fmt = (n: number): string => String(Number(n.toFixed(2)))

export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 640
  const height = spec.height ?? 320
  const xs = spec.series.flatMap((s) => s.points.map(([x]) => x))
  const ys = spec.series.flatMap((s) => s.points.flatMap(([, y]) => (y === null ? [] : [y])))
  const [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)]
  const plotW = width - MARGIN.left - MARGIN.right
  const plotH = height - MARGIN.top - MARGIN.bottom
  // Legend entries wrap onto further rows rather than run off the right edge; the y range
  // gets headroom for them, so the highest line does not run through the legend.
  const perRow = Math.max(1, Math.floor((plotW - 8) / LEGEND_WIDTH))
  const legendH = Math.ceil(spec.series.length / perRow) * 13 + 6
  const yMin = Math.min(0, ...ys)
  const [y0, y1] = [yMin, yMin + (Math.max(1, ...ys) - yMin) * (plotH / Math.max(1, plotH - legendH))]
  const px = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * plotW
  const py = (y: number): number => MARGIN.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH
  const formatX = spec.formatX ?? fmt
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(spec.title)}</text>`,
    `<g class="axis x-axis"><line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    ...niceTicks(x0, x1).map(
      (t) =>
        `<text x="${fmt(px(t))}" y="${MARGIN.top + plotH + 14}" text-anchor="middle">${escapeXml(formatX(t))}</text>`,
    ),
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text></g>`,
    `<g class="axis y-axis"><line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    ...niceTicks(y0, y1).map(
      (t) =>
        `<text x="${MARGIN.left - 4}" y="${fmt(py(t) + 4)}" text-anchor="end">${escapeXml(fmt(t))}</text>` +
        `<line x1="${MARGIN.left}" y1="${fmt(py(t))}" x2="${MARGIN.left + plotW}" y2="${fmt(py(t))}" stroke="#eee"/>`,
    ),
    `<text transform="translate(12 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text></g>`,
  ]
  for (const [i, s] of spec.series.entries()) {
    const colour = COLOURS[i % COLOURS.length] ?? '#000'
    const lx = MARGIN.left + 8 + (i % perRow) * LEGEND_WIDTH
    const ly = MARGIN.top + 12 + Math.floor(i / perRow) * 13
    parts.push(
      `<g class="series" data-name="${escapeXml(s.name)}"><path fill="none" stroke="${colour}" stroke-width="1.5" d="${path(s, px, py)}"/>`,
      ...isolated(s).map(
        ([x, y]) => `<circle cx="${fmt(px(x))}" cy="${fmt(py(y))}" r="2.5" fill="${colour}"/>`,
      ),
      `<text x="${lx}" y="${ly}" fill="${colour}">${escapeXml(s.name)}</text></g>`,
    )
  }
  parts.push('</svg>')
  return parts.join('\n')
}

/** Points with a gap (or the end) on both sides: a path draws nothing there, so they get a dot. */
function isolated(s: LineSeries): Array<[number, number]> {
  const out: Array<[number, number]> = []
  s.points.forEach(([x, y], i) => {
    if (y === null) return
    const before = s.points[i - 1]?.[1]
    const after = s.points[i + 1]?.[1]
    if ((before === undefined || before === null) && (after === undefined || after === null)) out.push([x, y])
  })
  return out
}

/** M/L path commands; a null y ends a segment, so a gap is drawn as a gap. */
function path(s: LineSeries, px: (x: number) => number, py: (y: number) => number): string {
  let pen = 'M'
  const commands: string[] = []
  for (const [x, y] of s.points) {
    if (y === null) {
      pen = 'M'
      continue
    }
    commands.push(`${pen}${fmt(px(x))} ${fmt(py(y))}`)
    pen = 'L'
  }
  return commands.join(' ')
}

export interface BarChartSpec {
  title: string
  yLabel: string
  bars: ReadonlyArray<{ label: string; value: number | null }>
  width?: number
  height?: number
}

/** Vertical bars with their value above; a null value is a labelled empty slot ("none"). */
export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 640
  const height = spec.height ?? 320
  const values = spec.bars.flatMap((b) => (b.value === null ? [] : [b.value]))
  // Headroom above the highest bar for its value label.
  const y1 = Math.max(1, ...values) * 1.12
  const ticks = niceTicks(0, y1)
  const top = Math.max(y1, ...ticks)
  const plotW = width - MARGIN.left - MARGIN.right
  const plotH = height - MARGIN.top - MARGIN.bottom
  const py = (y: number): number => MARGIN.top + plotH - (y / top) * plotH
  const slot = plotW / Math.max(1, spec.bars.length)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(spec.title)}</text>`,
    `<g class="axis y-axis"><line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${MARGIN.left - 4}" y="${fmt(py(t) + 4)}" text-anchor="end">${escapeXml(fmt(t))}</text>` +
        `<line x1="${MARGIN.left}" y1="${fmt(py(t))}" x2="${MARGIN.left + plotW}" y2="${fmt(py(t))}" stroke="#eee"/>`,
    ),
    `<text transform="translate(12 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text></g>`,
    `<g class="axis x-axis"><line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/></g>`,
  ]
  for (const [i, b] of spec.bars.entries()) {
    const colour = COLOURS[i % COLOURS.length] ?? '#000'
    const cx = MARGIN.left + slot * (i + 0.5)
    const barW = Math.min(80, slot * 0.6)
    const label = `<text x="${fmt(cx)}" y="${MARGIN.top + plotH + 14}" text-anchor="middle">${escapeXml(b.label)}</text>`
    if (b.value === null) {
      parts.push(
        `<g class="bar" data-name="${escapeXml(b.label)}">${label}<text x="${fmt(cx)}" y="${fmt(py(0) - 4)}" text-anchor="middle">none</text></g>`,
      )
      continue
    }
    parts.push(
      `<g class="bar" data-name="${escapeXml(b.label)}" data-value="${b.value}">` +
        `<rect x="${fmt(cx - barW / 2)}" y="${fmt(py(b.value))}" width="${fmt(barW)}" height="${fmt(py(0) - py(b.value))}" fill="${colour}"/>` +
        `<text x="${fmt(cx)}" y="${fmt(py(b.value) - 4)}" text-anchor="middle">${escapeXml(b.value.toLocaleString('en-US'))}</text>${label}</g>`,
    )
  }
  parts.push('</svg>')
  return parts.join('\n')
}
