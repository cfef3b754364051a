import { formatStep, formatVerdict } from '../loadtest/capacity/format.js'
import type { CapacityReport, CapacityStepRecord } from '../loadtest/capacity/run-capacity.js'
import { htmlPage, type HtmlSection } from './html-page.js'
import { throughputSection } from './loadtest-html.js'
import { lineChart, type LineSeries } from './svg.js'

const WIDTH = 760

const byRate = (steps: readonly CapacityStepRecord[]): CapacityStepRecord[] =>
  steps.filter((s) => s.phase !== 'warm-up').sort((a, b) => a.ratePerSec - b.ratePerSec)

const vsRate = (
  steps: readonly CapacityStepRecord[],
  name: string,
  value: (s: CapacityStepRecord) => number | null,
): LineSeries => ({ name, points: steps.map((s) => [s.ratePerSec, value(s)] as const) })

/** The steady-window p99 of every judged step against its offered rate, with the SLO's limits in the note. */
export function sloSection(r: CapacityReport): HtmlSection | null {
  const steps = byRate(r.steps)
  if (steps.length === 0) return null
  const series = [
    vsRate(steps, 'PUBACK p99', (s) => s.measure.pubackP99Ms),
    vsRate(steps, 'visible p99', (s) => s.measure.influxVisibleP99Ms),
    ...(steps.some((s) => s.measure.alerting)
      ? [vsRate(steps, 'alert p99', (s) => s.measure.alertP99Ms)]
      : []),
  ]
  return {
    id: 'slo-vs-rate',
    title: 'SLO figures vs offered rate (steady window of each judged step)',
    body: lineChart({
      title: 'steady-window p99 by offered rate',
      xLabel: 'offered msg/s',
      yLabel: 'p99 ms from scheduled send',
      width: WIDTH,
      series,
    }),
    note:
      `Limits: PUBACK p99 ≤ ${r.slo.pubackP99Ms} ms, visible p99 ≤ ${r.slo.influxVisibleP99Ms} ms, ` +
      `alert p99 ≤ ${r.slo.alertP99Ms} ms. Passing rates: ${
        steps
          .filter((s) => s.pass)
          .map((s) => Math.round(s.ratePerSec))
          .join(', ') || 'none'
      }.`,
  }
}

export function cpuVsRateSection(r: CapacityReport): HtmlSection | null {
  const steps = byRate(r.steps)
  if (steps.length === 0) return null
  return {
    id: 'cpu-vs-rate',
    title: 'CPU per message vs offered rate',
    body: lineChart({
      title: 'CPU µs per offered message',
      xLabel: 'offered msg/s',
      yLabel: 'µs/msg',
      width: WIDTH,
      series: [
        vsRate(steps, 'pulsewire', (s) => s.cpu.pulsewire),
        vsRate(steps, 'servers', (s) => s.cpu.servers),
        vsRate(steps, 'generator', (s) => s.cpu.generator),
      ],
    }),
    note: 'pulsewire: gateway + storage + alerting; servers: Kafka + InfluxDB; generator: the load generator.',
  }
}

/** The HTML report of a capacity search: the verdict and step lines, the summary charts, a throughput chart per step. */
export function renderCapacityHtml(r: CapacityReport): string {
  const preface = [
    `command: ${r.command}`,
    formatVerdict(r.result, r.samples),
    '',
    ...r.steps.flatMap((s, i) => formatStep(i, s, r.samples, s.cpu)),
  ]
  const perStep = r.steps.flatMap((s, i): HtmlSection[] => {
    const points = s.report.timeline ?? []
    if (points.length === 0) return []
    const section = throughputSection(points, s.report.options.probeEvery)
    const verdict = s.phase === 'warm-up' ? 'warm-up' : s.pass ? 'PASS' : 'FAIL'
    return [
      {
        ...section,
        id: `step-${i + 1}-throughput`,
        title: `Step ${i + 1} (${s.phase}, ${Math.round(s.ratePerSec)} msg/s, ${verdict}): throughput over time`,
      },
    ]
  })
  const sections = [sloSection(r), cpuVsRateSection(r), ...perStep].filter(
    (s): s is HtmlSection => s !== null,
  )
  return htmlPage(`pulsewire loadtest --find-capacity ${r.startedAt}`, preface, sections)
}
