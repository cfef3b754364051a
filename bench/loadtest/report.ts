import type { MachineFacts } from '../proc-stats.js'
import type { LatencySummary } from './histogram.js'
import type { ConnectionEvents } from './load-client.js'
import type { LoadtestOptions } from './options.js'
import type { Reconciliation } from './reconcile.js'
import type { ProcessUsage } from './resources.js'
import type { TimelinePoint } from './timeline.js'
import type { ProbeStats } from './visibility-probes.js'

export type DistributionHop = 'puback' | 'kafka' | 'influxVisible' | 'alert'

export interface Throughput {
  messages: number
  readings: number
  msgsPerSec: number
  readingsPerSec: number
}

export interface FaultRecord {
  process: string
  atS: number
  /** Seconds into the load when the process was killed, and when its restart was ready. */
  killedAtS: number | null
  readyAtS: number | null
  error?: string
}

export interface AlertLatency extends LatencySummary {
  /** Alert events of this run's devices, by transition (raised, cleared, …). */
  events: Record<string, number>
  /** Alert events of this run's devices, by rule id. */
  rules: Record<string, number>
  /** Events whose event time is not one of this run's readings (e.g. missing-data alerts): no latency. */
  unmatched: number
  unmatchedRules: Record<string, number>
}

/**
 * The steady window: from the end of the ramp-up to the end of the load, the part of a run that
 * capacity is judged on (bench/loadtest/capacity). Latencies count messages scheduled in it.
 */
export interface SteadyWindow {
  fromS: number
  toS: number
  /** Messages the schedule called for in the window (not what the generator managed to send). */
  scheduled: number
  acknowledged: number
  puback: LatencySummary
  influxVisible: LatencySummary
  alert: LatencySummary
  /** How late the generator sent the window's messages behind their schedule. */
  generatorLateness: LatencySummary
  /** Alert raises the load did not inject, by rule id: communication loss under overload, say. */
  loadAlarms: Record<string, number>
  /** Records each consumer group had not committed when the load ended; null: not measured. */
  lagRecords: Record<string, number> | null
}

/** What `runLoadtest` returns and `--json` prints: one run, self-describing. */
export interface LoadReport {
  kind: 'pulsewire-loadtest'
  version: 1
  target: string
  startedAt: string
  command: string
  machine: MachineFacts & { note: string }
  options: LoadtestOptions
  schedule: {
    messages: number
    readings: number
    deviceIntervalMs: number
    readingSpacingMs: number
    /** Load window: first scheduled send to the end of --duration, s. */
    loadSeconds: number
    /** Largest delay of the generator behind its own schedule, ms (a busy generator shows here). */
    generatorMaxLagMs: number
  }
  throughput: {
    offered: Throughput
    acknowledged: Throughput
    inKafka: Throughput
    /** Rates over the load window, or until the last reading was stored if that was later. */
    stored: Throughput & { settledAfterS: number }
  }
  /** Every hop from the scheduled send time, ms. */
  latency: {
    puback: LatencySummary
    kafka: LatencySummary
    influxVisible: LatencySummary & { probes: ProbeStats }
    alert: AlertLatency | null
  }
  steady: SteadyWindow
  resources: ProcessUsage[]
  /**
   * Per second of the run (load and drain): throughput, latency per hop, CPU per process, for
   * the HTML report (timeline.ts). Absent in results written before it existed.
   */
  timeline?: TimelinePoint[]
  /** Percentile curve per hop, [quantile, ms] pairs from the run's histograms (then [1, max]). */
  distribution?: Record<DistributionHop, Array<[number, number]>>
  /** Caveats from the target: processes not measured, processes shared with other clients. */
  notes: string[]
  connections: ConnectionEvents
  faults: FaultRecord[]
  reconciliation: Reconciliation
  /** Readings lost under the reconciliation's loss rule. */
  lost: number
  /** Nothing lost, every published message acknowledged (QoS 1), no publish errors. */
  ok: boolean
}

const num = (v: number | null, digits = 1): string => (v === null ? '-' : v.toFixed(digits))
const pad = (cells: string[], widths: number[]): string =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)))
  return [header, ...rows].map((r) => `  ${pad(r, widths)}`)
}

/** The human report: what was offered, what arrived where and when, what it cost, what was lost. */
export function formatReport(r: LoadReport): string[] {
  const o = r.options
  const t = r.throughput
  const rec = r.reconciliation
  const lines = [
    `pulsewire loadtest: target ${r.target}, ${o.devices} devices, ${num(o.ratePerSec, 0)} msg/s × ${o.samples} readings, ` +
      `QoS ${o.qos}, ${o.durationS} s${o.rampUpS > 0 ? ` (ramp-up ${o.rampUpS} s)` : ''}, profile ${o.profile}`,
    `machine: ${r.machine.cores} cores (${r.machine.cpuModel}), ${r.machine.memGiB} GiB, Node.js ${r.machine.node}; ${r.machine.note}`,
    `command: ${r.command}`,
    '',
    ...table(
      ['throughput', 'messages', 'msg/s', 'readings', 'readings/s'],
      (
        [
          ['offered', t.offered],
          ['acknowledged', t.acknowledged],
          ['in Kafka', t.inKafka],
          [`stored (settled after ${t.stored.settledAfterS} s)`, t.stored],
        ] as const
      ).map(([label, v]) => [
        label,
        String(v.messages),
        num(v.msgsPerSec),
        String(v.readings),
        num(v.readingsPerSec),
      ]),
    ),
    '',
  ]
  const hops: Array<[string, LatencySummary | null]> = [
    [`device → ${o.qos === 1 ? 'PUBACK' : 'socket write (QoS 0)'}`, r.latency.puback],
    ['device → Kafka (tap consumer)', r.latency.kafka],
    [
      `device → visible in InfluxDB (1 in ${o.probeEvery} msgs, poll ${r.latency.influxVisible.probes.pollIntervalMs} ms)`,
      r.latency.influxVisible,
    ],
    ['device → alert emitted (alert tap)', r.latency.alert],
  ]
  lines.push(
    ...table(
      ['latency from scheduled send, ms', 'n', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      hops.map(([label, s]) =>
        s === null
          ? [label, 'n/a', '-', '-', '-', '-', '-']
          : [label, String(s.count), num(s.p50Ms), num(s.p90Ms), num(s.p99Ms), num(s.p999Ms), num(s.maxMs)],
      ),
    ),
  )
  const probes = r.latency.influxVisible.probes
  if (probes.timedOut + probes.skipped + probes.queryErrors > 0) {
    lines.push(
      `  probes: ${probes.timedOut} never visible, ${probes.skipped} skipped, ${probes.queryErrors} query errors`,
    )
  }
  if (r.latency.alert) {
    const list = (counts: Record<string, number>): string =>
      Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    const a = r.latency.alert
    lines.push(
      `  alert events: ${list(a.events) || 'none'} (rules: ${list(a.rules) || 'none'}); ` +
        `${a.unmatched} without a matching reading${a.unmatched > 0 ? ` (${list(a.unmatchedRules)})` : ''}`,
    )
  }
  lines.push(
    '',
    ...table(
      ['process', 'pid', 'cpu % of 1 core', 'µs/msg', 'rss peak MB', 'restarts'],
      r.resources.map((p) => [
        p.name,
        p.pids.join('→'),
        num(p.cpuPercent),
        String(p.usPerMessage),
        num(p.rssPeakMb),
        String(p.restarts),
      ]),
    ),
  )
  for (const note of r.notes) lines.push(`  note: ${note}`)
  for (const f of r.faults) {
    lines.push(
      `  fault ${f.process}@${f.atS}: killed at ${num(f.killedAtS)} s, restarted and ready at ${num(f.readyAtS)} s` +
        (f.error ? ` (${f.error})` : ''),
    )
  }
  lines.push(
    '',
    `reconciliation by (device, seq), lost = ${rec.lossRule}:`,
    `  published ${rec.published}, acknowledged ${rec.acked} (${rec.notAcked} not, ${rec.sendFailed} failed to send), ` +
      `in Kafka ${rec.inKafka} (+${rec.kafkaDuplicates} duplicates, ${rec.ackedNotInKafka} acked but absent)`,
    `  stored ${rec.storedMessages} messages, ${rec.storedReadings}/${rec.expectedReadings} readings; ` +
      `LOST ${rec.lostMessages} messages = ${rec.lostReadings} readings on ${rec.devicesWithLoss} devices` +
      (rec.foreignPoints > 0 ? `; ${rec.foreignPoints} unexpected points` : ''),
  )
  for (const d of rec.devices.slice(0, 10)) {
    if (d.lostMessages > 0) lines.push(`    ${d.deviceId}: lost seqs ${d.lostSeqs}`)
  }
  if (rec.devices.length > 10) lines.push(`    … ${rec.devices.length - 10} more devices in the JSON report`)
  lines.push(
    `connections: ${r.connections.connects} connects, ${r.connections.disconnects} disconnects, ${r.connections.errors} errors` +
      (r.connections.lastError ? ` (last: ${r.connections.lastError})` : ''),
    r.ok ? 'result: OK (nothing lost)' : `result: NOT OK (${r.lost} readings lost)`,
  )
  return lines
}
