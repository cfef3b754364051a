import type { LoadReport } from '../report.js'
import type { ProcessUsage } from '../resources.js'
import type { StepMeasure } from './slo.js'

/** What the SLO reads from one load-test run: its steady window. */
export function stepMeasure(report: LoadReport): StepMeasure {
  const s = report.steady
  return {
    ratePerSec: report.options.ratePerSec,
    steadySeconds: Math.round((s.toS - s.fromS) * 10) / 10,
    scheduled: s.scheduled,
    acknowledged: s.acknowledged,
    pubackP99Ms: s.puback.p99Ms,
    influxVisibleP99Ms: s.influxVisible.p99Ms,
    alertP99Ms: s.alert.p99Ms,
    alerting: report.latency.alert !== null,
    lagRecords: s.lagRecords,
    lost: report.lost,
    loadAlarms: s.loadAlarms,
    generatorLagP99Ms: s.generatorLateness.p99Ms,
  }
}

/** Process roles by who they belong to: what Pulsewire costs, apart from the servers and the load generator. */
export const SHARES = {
  pulsewire: ['gateway', 'storage', 'alerting'],
  servers: ['kafka', 'influxdb'],
  generator: ['loadgen'],
} as const

export interface CpuShares {
  /** µs of CPU per offered message, by process role. */
  perProcess: Record<string, number>
  pulsewire: number
  servers: number
  generator: number
  total: number
}

export function cpuShares(resources: readonly ProcessUsage[]): CpuShares {
  const perProcess = Object.fromEntries(resources.map((r) => [r.name, r.usPerMessage]))
  const sum = (names: readonly string[]): number => names.reduce((a, n) => a + (perProcess[n] ?? 0), 0)
  return {
    perProcess,
    pulsewire: sum(SHARES.pulsewire),
    servers: sum(SHARES.servers),
    generator: sum(SHARES.generator),
    total: resources.reduce((a, r) => a + r.usPerMessage, 0),
  }
}
