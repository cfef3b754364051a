import { DEFAULT_SLO, type CapacitySlo } from './loadtest/capacity/slo.js'
import type { LoadReport } from './loadtest/report.js'

/** One (target, rate) run of the comparison, reduced to the figures the table shows. */
export interface RunSummary {
  target: string
  /** Processes killed and restarted during the run (process@seconds); empty for a clean run. */
  faults: string[]
  /** The rate the load ramps up to and holds. */
  offeredMsgsPerSec: number
  /** Offered on average over the load window, ramp-up included. */
  offeredAvgMsgsPerSec: number | null
  ackedMsgsPerSec: number | null
  storedReadingsPerSec: number | null
  /** Readings in InfluxDB after the drain, and readings the target acknowledged (published, for QoS 0). */
  storedReadings: number | null
  ackedReadings: number | null
  lostReadings: number | null
  /** Nothing lost and every message acknowledged. */
  zeroLoss: boolean
  pubackP50Ms: number | null
  pubackP99Ms: number | null
  kafkaP99Ms: number | null
  influxP50Ms: number | null
  influxP99Ms: number | null
  alertP99Ms: number | null
  /** All target processes plus Kafka and InfluxDB during the load window, per message offered. */
  cpuUsPerMessage: number | null
  /** The same without alerting, which the peer does not do: the like-for-like ingest + storage cost. */
  cpuUsPerMessageIngest: number | null
  cpuByProcess: Record<string, number>
  error?: string
}

const round = (v: number | null | undefined, digits = 1): number | null =>
  v === null || v === undefined ? null : Math.round(v * 10 ** digits) / 10 ** digits

export function summarise(
  target: string,
  rate: number,
  report: LoadReport | undefined,
  faults: string[] = [],
): RunSummary {
  if (!report) {
    return {
      target,
      faults,
      offeredMsgsPerSec: rate,
      offeredAvgMsgsPerSec: null,
      ackedMsgsPerSec: null,
      storedReadingsPerSec: null,
      storedReadings: null,
      ackedReadings: null,
      lostReadings: null,
      zeroLoss: false,
      pubackP50Ms: null,
      pubackP99Ms: null,
      kafkaP99Ms: null,
      influxP50Ms: null,
      influxP99Ms: null,
      alertP99Ms: null,
      cpuUsPerMessage: null,
      cpuUsPerMessageIngest: null,
      cpuByProcess: {},
    }
  }
  const serving = report.resources.filter((p) => p.name !== 'loadgen')
  const usPerMessage = (processes: typeof serving): number | null =>
    round(
      (processes.reduce((sum, p) => sum + p.cpuPercent, 0) * 10_000) /
        Math.max(1, report.throughput.offered.msgsPerSec),
      0,
    )
  return {
    target,
    faults,
    offeredMsgsPerSec: rate,
    offeredAvgMsgsPerSec: round(report.throughput.offered.msgsPerSec, 0),
    ackedMsgsPerSec: round(report.throughput.acknowledged.msgsPerSec, 0),
    storedReadingsPerSec: round(report.throughput.stored.readingsPerSec, 0),
    storedReadings: report.reconciliation.storedReadings,
    ackedReadings: report.throughput.acknowledged.readings,
    lostReadings: report.lost,
    zeroLoss: report.ok,
    pubackP50Ms: round(report.latency.puback.p50Ms),
    pubackP99Ms: round(report.latency.puback.p99Ms),
    kafkaP99Ms: round(report.latency.kafka.p99Ms),
    influxP50Ms: round(report.latency.influxVisible.p50Ms, 0),
    influxP99Ms: round(report.latency.influxVisible.p99Ms, 0),
    alertP99Ms: round(report.latency.alert?.p99Ms),
    // From each process's CPU share during the load window (not until the last write, which
    // for a buffering bridge includes a minute of idling).
    cpuUsPerMessage: usPerMessage(serving),
    cpuUsPerMessageIngest: usPerMessage(serving.filter((p) => p.name !== 'alerting')),
    cpuByProcess: Object.fromEntries(serving.map((p) => [p.name, round(p.cpuPercent) ?? 0])),
  }
}

const cell = (v: number | null, unit = ''): string => (v === null ? '–' : `${v.toLocaleString('en')}${unit}`)

/**
 * Highest offered rate, per target, whose whole run met the latency SLO's hop limits with nothing
 * lost (PUBACK p99, visible in InfluxDB p99, and alert p99 where the target alerts). "Zero loss"
 * alone is no headline: under QoS 1 back-pressure nothing is lost at any rate, it only gets late
 * (issue #11). These are short fixed-rate runs, ramp-up included: sustained capacity over a
 * steady window is the `--find-capacity` comparison's.
 */
export function highestWithinSlo(
  summaries: readonly RunSummary[],
  slo: CapacitySlo = DEFAULT_SLO,
): Record<string, number | null> {
  const within = (s: RunSummary): boolean =>
    s.zeroLoss &&
    s.pubackP99Ms !== null &&
    s.pubackP99Ms <= slo.pubackP99Ms &&
    s.influxP99Ms !== null &&
    s.influxP99Ms <= slo.influxVisibleP99Ms &&
    (s.alertP99Ms === null || s.alertP99Ms <= slo.alertP99Ms)
  const out: Record<string, number | null> = {}
  for (const s of summaries.filter((run) => run.faults.length === 0)) {
    const best = out[s.target] ?? null
    out[s.target] = within(s) && (best === null || s.offeredMsgsPerSec > best) ? s.offeredMsgsPerSec : best
  }
  return out
}

/** What each peer target of bench:compare is, for the heading. */
const PEER_NAMES: Record<string, string> = {
  peer: 'Mosquitto + naive bridge',
  telegraf: 'Mosquitto + Telegraf',
}

function peersIn(summaries: readonly RunSummary[]): string {
  const peers = [...new Set(summaries.map((s) => s.target))].filter((t) => t !== 'pulsewire')
  return peers.length === 0 ? 'its peers' : peers.map((t) => PEER_NAMES[t] ?? t).join(' and ')
}

export function renderComparison(input: {
  command: string
  machine: string
  resultFile: string
  summaries: readonly RunSummary[]
  /** Markdown image lines (bench/report/compare-images.ts), shown under the headline. */
  images?: readonly string[]
}): string {
  const best = highestWithinSlo(input.summaries)
  const rows = input.summaries.map((s) =>
    [
      s.faults.length > 0 ? `${s.target}, killed ${s.faults.join(' ')}` : s.target,
      cell(s.offeredMsgsPerSec),
      `${cell(s.offeredAvgMsgsPerSec)} / ${cell(s.ackedMsgsPerSec)}`,
      `${cell(s.storedReadings)} / ${cell(s.ackedReadings)}`,
      s.error ? 'run failed' : cell(s.lostReadings),
      `${cell(s.pubackP50Ms)} / ${cell(s.pubackP99Ms)}`,
      cell(s.kafkaP99Ms),
      `${cell(s.influxP50Ms)} / ${cell(s.influxP99Ms)}`,
      cell(s.alertP99Ms),
      `${cell(s.cpuUsPerMessage)} / ${cell(s.cpuUsPerMessageIngest)}`,
      Object.entries(s.cpuByProcess)
        .map(([name, pct]) => `${name} ${pct}`)
        .join(', '),
    ].join(' | '),
  )
  return [
    `## Pulsewire vs. ${peersIn(input.summaries)} (same load generator, same reconciliation)`,
    '',
    `Command: \`${input.command}\` on ${input.machine}; raw reports in \`${input.resultFile}\`.`,
    'Open-loop QoS 1 load, latencies from the scheduled send time (ms); loss = readings acknowledged to the device but',
    'not in InfluxDB after the drain, reconciled per (device, seq). CPU = every serving process (gateway or Mosquitto,',
    'bridge or processors, Kafka, InfluxDB) per message offered, and the same without alerting, which the peer does not',
    'do; the load generator runs on the same 2 cores. The last rows kill (SIGKILL) and restart, mid-run, the processes',
    'that carry readings from MQTT to Kafka and from Kafka to InfluxDB; the headline counts only the clean runs.',
    '',
    ...Object.entries(best).map(
      ([target, rate]) =>
        `- **${target}**: highest rate within the latency SLO, 0 lost: **${rate === null ? 'none of the rates tried' : `${rate.toLocaleString('en')} msg/s`}**`,
    ),
    '',
    `Within the SLO = the whole run (ramp-up included) had 0 readings lost, PUBACK p99 ≤ ${DEFAULT_SLO.pubackP99Ms} ms, visible in`,
    `InfluxDB p99 ≤ ${DEFAULT_SLO.influxVisibleP99Ms.toLocaleString('en')} ms and, where the target alerts, alert p99 ≤ ${DEFAULT_SLO.alertP99Ms} ms. A short fixed-rate run, not sustained`,
    'capacity: that is the capacity comparison (`--find-capacity`, a steady window of ≥ 60 s per rate).',
    '',
    ...(input.images && input.images.length > 0 ? [...input.images, ''] : []),
    '| target | rate msg/s | offered / acked msg/s (avg, ramp incl.) | stored / acked readings | lost readings | PUBACK p50 / p99 | → Kafka p99 | → InfluxDB p50 / p99 | → alert p99 | CPU µs/msg all / without alerting | CPU % by process |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n')
}
