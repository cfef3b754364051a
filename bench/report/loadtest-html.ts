import { formatReport, type DistributionHop, type LoadReport } from '../loadtest/report.js'
import { TIMELINE_HOPS, type TimelineHop, type TimelinePoint } from '../loadtest/timeline.js'
import { htmlPage, type HtmlSection } from './html-page.js'
import { lineChart, type LineSeries } from './svg.js'

const WIDTH = 760
const HOP_NAMES: Record<DistributionHop, string> = {
  puback: 'PUBACK',
  kafka: 'in Kafka (tap)',
  influxVisible: 'visible in InfluxDB',
  alert: 'alert emitted',
}

const over = (
  points: readonly TimelinePoint[],
  name: string,
  value: (p: TimelinePoint) => number | null,
): LineSeries => ({ name, points: points.map((p) => [p.atS, value(p)] as const) })

const hasData = (s: LineSeries): boolean => s.points.some(([, y]) => y !== null)

/** The throughput chart: what the devices offered against what each stage took, per second. */
export function throughputSection(points: readonly TimelinePoint[], probeEvery: number): HtmlSection {
  return {
    id: 'throughput',
    title: 'Throughput over time',
    body: lineChart({
      title: 'messages per second',
      xLabel: 's since the load started',
      yLabel: 'msg/s',
      width: WIDTH,
      series: [
        over(points, 'offered', (p) => p.offeredPerSec),
        over(points, 'acknowledged', (p) => p.ackedPerSec),
        over(points, 'in Kafka', (p) => p.kafkaPerSec),
        over(points, 'stored (est.)', (p) => p.storedPerSecEst),
      ],
    }),
    note:
      `Counted in one-second buckets as each event happened. "stored (est.)" is the visibility probes ` +
      `found in InfluxDB that second × ${probeEvery} (one message in ${probeEvery} is probed).`,
  }
}

/** p50 and p99 of one hop, per second of completion; a second with no completion is a gap. */
export function latencySection(points: readonly TimelinePoint[], hop: TimelineHop): HtmlSection | null {
  const series = [
    over(points, 'p50', (p) => p.latency[hop].p50Ms),
    over(points, 'p99', (p) => p.latency[hop].p99Ms),
  ]
  if (!series.some(hasData)) return null
  return {
    id: `latency-${hop}`,
    title: `Latency over time: device → ${HOP_NAMES[hop]}`,
    body: lineChart({
      title: `${HOP_NAMES[hop]} latency per second`,
      xLabel: 's since the load started',
      yLabel: 'ms from scheduled send',
      width: WIDTH,
      series,
    }),
    note: 'Percentiles of the completions that fell in each second (their latency runs from the scheduled send).',
  }
}

/** x of the distribution chart: "nines" (1 → p90, 2 → p99, 3 → p99.9), so the tail gets room. */
export const nines = (q: number): number => -Math.log10(1 - q)
export const ninesLabel = (x: number): string => `p${Number((100 * (1 - 10 ** -x)).toPrecision(6))}`

export function distributionSection(
  distribution: NonNullable<LoadReport['distribution']>,
): HtmlSection | null {
  const series = (Object.keys(HOP_NAMES) as DistributionHop[])
    .map((hop) => ({
      name: HOP_NAMES[hop],
      points: distribution[hop]
        .filter(([q]) => q < 1)
        .map(([q, ms]) => [Math.round(nines(q) * 1000) / 1000, ms] as const),
    }))
    .filter((s) => s.points.length > 0)
  if (series.length === 0) return null
  const max = Object.entries(distribution)
    .flatMap(([hop, c]) =>
      c.filter(([q]) => q === 1).map(([, ms]) => `${HOP_NAMES[hop as DistributionHop]} ${ms}`),
    )
    .join(', ')
  return {
    id: 'distribution',
    title: 'Latency distribution per hop (whole run)',
    body: lineChart({
      title: 'latency by percentile',
      xLabel: 'percentile',
      yLabel: 'ms from scheduled send',
      width: WIDTH,
      formatX: ninesLabel,
      series,
    }),
    note: `From the run's log-bucketed histograms (1 % relative error), percentiles a tail of at least one sample supports. Max, ms: ${max}.`,
  }
}

export function cpuSection(points: readonly TimelinePoint[]): HtmlSection | null {
  const names = [...new Set(points.flatMap((p) => Object.keys(p.cpuPercent)))]
  if (names.length === 0) return null
  return {
    id: 'cpu',
    title: 'CPU per process over time',
    body: lineChart({
      title: 'CPU, % of one core',
      xLabel: 's since the load started',
      yLabel: '% of one core',
      width: WIDTH,
      series: names.map((n) => over(points, n, (p) => p.cpuPercent[n] ?? null)),
    }),
    note: 'From /proc, each process’s CPU time used in each second; a restarted process keeps its role.',
  }
}

/** The charts of one run, in report order; charts without data are left out. */
export function loadtestSections(r: LoadReport): HtmlSection[] {
  const points = r.timeline ?? []
  const sections: Array<HtmlSection | null> = [
    points.length > 0 ? throughputSection(points, r.options.probeEvery) : null,
    ...TIMELINE_HOPS.map((hop) => latencySection(points, hop)),
    r.distribution ? distributionSection(r.distribution) : null,
    cpuSection(points),
  ]
  return sections.filter((s): s is HtmlSection => s !== null)
}

/** The HTML report of one `pulsewire loadtest` run: the text report, then its charts. */
export function renderLoadtestHtml(r: LoadReport): string {
  return htmlPage(`pulsewire loadtest ${r.target} ${r.startedAt}`, formatReport(r), loadtestSections(r))
}
