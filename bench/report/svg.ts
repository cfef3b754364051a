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
  const [y0, y1] = [Math.min(0, ...ys), Math.max(1, ...ys)]
  const plotW = width - MARGIN.left - MARGIN.right
  const plotH = height - MARGIN.top - MARGIN.bottom
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
    parts.push(
      `<g class="series" data-name="${escapeXml(s.name)}"><path fill="none" stroke="${colour}" stroke-width="1.5" d="${path(s, px, py)}"/>`,
      `<text x="${MARGIN.left + 8 + i * 120}" y="${MARGIN.top + 12}" fill="${colour}">${escapeXml(s.name)}</text></g>`,
    )
  }
  parts.push('</svg>')
  return parts.join('\n')
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
