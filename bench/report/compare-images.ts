import type { CapacityComparison } from '../capacity-compare.js'
import type { RunSummary } from '../compare-report.js'
import { barChart, lineChart, type LineSeries } from './svg.js'

/** An image of a RESULTS.md section: its file name under bench/images/, alt text, SVG. */
export interface ResultImage {
  file: string
  alt: string
  svg: string
}

const WIDTH = 720

const perTarget = (
  summaries: readonly RunSummary[],
  value: (s: RunSummary) => number | null,
  suffix = '',
): LineSeries[] => {
  const clean = summaries.filter((s) => s.faults.length === 0 && !s.error)
  const targets = [...new Set(clean.map((s) => s.target))]
  return targets.map((target) => ({
    name: `${target}${suffix}`,
    points: clean
      .filter((s) => s.target === target)
      .sort((a, b) => a.offeredMsgsPerSec - b.offeredMsgsPerSec)
      .map((s) => [s.offeredMsgsPerSec, value(s)] as const),
  }))
}

/** The fixed-rate comparison as images: PUBACK p99, visible-in-InfluxDB p99, CPU per message and loss, by rate and target (clean runs). */
export function comparisonImages(summaries: readonly RunSummary[], prefix = 'compare'): ResultImage[] {
  const chart = (file: string, title: string, yLabel: string, series: LineSeries[]): ResultImage => ({
    file: `${prefix}-${file}.svg`,
    alt: title,
    svg: lineChart({ title, xLabel: 'offered msg/s', yLabel, width: WIDTH, series }),
  })
  return [
    chart(
      'puback-p99',
      'PUBACK p99 by offered rate',
      'ms from scheduled send',
      perTarget(summaries, (s) => s.pubackP99Ms),
    ),
    chart(
      'influx-p99',
      'visible in InfluxDB p99 by offered rate',
      'ms from scheduled send',
      perTarget(summaries, (s) => s.influxP99Ms),
    ),
    chart('cpu', 'CPU µs per message by offered rate (serving processes)', 'µs/msg', [
      ...perTarget(summaries, (s) => s.cpuUsPerMessage),
      ...perTarget(summaries, (s) => s.cpuUsPerMessageIngest, ' w/o alerting').filter((s) =>
        summaries.some(
          (r) => `${r.target} w/o alerting` === s.name && r.cpuUsPerMessage !== r.cpuUsPerMessageIngest,
        ),
      ),
    ]),
    chart(
      'lost',
      'readings lost by offered rate',
      'readings',
      perTarget(summaries, (s) => s.lostReadings),
    ),
  ]
}

/** The capacity comparison as images: sustained msg/s per target, and the steps' PUBACK p99 by rate. */
export function capacityImages(comparison: CapacityComparison, prefix = 'capacity'): ResultImage[] {
  const rows = comparison.reports
  const label = (r: (typeof rows)[number]): string => `${r.target} ×${r.samples}`
  const steps = (r: (typeof rows)[number]) =>
    (r.report?.steps ?? []).filter((s) => s.phase !== 'warm-up').sort((a, b) => a.ratePerSec - b.ratePerSec)
  return [
    {
      file: `${prefix}-sustained.svg`,
      alt: 'sustained capacity under the SLO per target',
      svg: barChart({
        title: 'sustained capacity under the SLO (msg/s), per target × readings/msg',
        yLabel: 'msg/s',
        width: WIDTH,
        bars: rows.map((r) => ({ label: label(r), value: r.report?.result.sustainedRate ?? null })),
      }),
    },
    {
      file: `${prefix}-puback-p99.svg`,
      alt: 'steady-window PUBACK p99 of each judged step by offered rate',
      svg: lineChart({
        title: 'steady-window PUBACK p99 of each judged step (SLO ≤ 100 ms)',
        xLabel: 'offered msg/s',
        yLabel: 'ms from scheduled send',
        width: WIDTH,
        series: rows.map((r) => ({
          name: label(r),
          points: steps(r).map((s) => [s.ratePerSec, s.measure.pubackP99Ms] as const),
        })),
      }),
    },
    {
      file: `${prefix}-cpu.svg`,
      alt: 'CPU per message of each judged step by offered rate',
      svg: lineChart({
        title: 'CPU µs per message of each judged step (own processes + servers)',
        xLabel: 'offered msg/s',
        yLabel: 'µs/msg',
        width: WIDTH,
        series: rows.map((r) => ({
          name: label(r),
          points: steps(r).map((s) => [s.ratePerSec, s.cpu.total - s.cpu.generator] as const),
        })),
      }),
    },
  ]
}

/** The Markdown that embeds the images (paths relative to bench/RESULTS.md). */
export function imageMarkdown(images: readonly ResultImage[]): string[] {
  return images.map((i) => `![${i.alt}](images/${i.file})`)
}
