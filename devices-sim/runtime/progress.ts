import type { Clock } from '../../core/clock.js'
import type { Ledger } from './ledger.js'

export interface ProgressSnapshot {
  elapsedS: number
  devices: number
  connected: number
  published: number
  acked: number
  awaitingAck: number
  errors: number
  publishErrors: number
  /** Rates over the interval since the previous snapshot. */
  msgsPerSec: number
  samplesPerSec: number
  cpuPercent: number
  /** CPU time of this process since the run started (user + system), seconds. */
  cpuSeconds: number
  rssMb: number
  schedulerLagMs: number
}

export interface ProgressSources {
  clock: Clock
  ledger: Ledger
  devices: number
  connected: () => number
  errors: () => number
  lag: () => number
}

/** Live figures of a run: what a person watching a load wants (connected, msgs/s, awaiting ack, errors). */
export function createProgressMeter(sources: ProgressSources): { snapshot(): ProgressSnapshot } {
  const started = sources.clock.now()
  const cpuAtStart = process.cpuUsage()
  let last = { at: started, published: 0, samples: 0, cpu: process.cpuUsage() }
  return {
    snapshot() {
      const now = sources.clock.now()
      const totals = sources.ledger.totals
      const seconds = Math.max(0.001, (now - last.at) / 1000)
      const cpu = process.cpuUsage(last.cpu)
      const snapshot: ProgressSnapshot = {
        elapsedS: Math.round((now - started) / 100) / 10,
        devices: sources.devices,
        connected: sources.connected(),
        published: totals.published,
        acked: totals.acked,
        awaitingAck: sources.ledger.inFlight(),
        errors: sources.errors(),
        publishErrors: totals.publishErrors,
        msgsPerSec: Math.round((totals.published - last.published) / seconds),
        samplesPerSec: Math.round((totals.samples - last.samples) / seconds),
        cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 1000) / 10,
        cpuSeconds: cpuSecondsSince(cpuAtStart),
        rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024),
        schedulerLagMs: sources.lag(),
      }
      last = { at: now, published: totals.published, samples: totals.samples, cpu: process.cpuUsage() }
      return snapshot
    },
  }
}

export function formatProgress(s: ProgressSnapshot): string {
  return [
    `t=${s.elapsedS.toFixed(0)}s`,
    `connected ${s.connected}/${s.devices}`,
    `${s.msgsPerSec} msg/s`,
    `${s.samplesPerSec} samples/s`,
    `sent ${s.published}`,
    `acked ${s.acked}`,
    `awaiting ack ${s.awaitingAck}`,
    `errors ${s.errors + s.publishErrors}`,
    `cpu ${s.cpuPercent}%`,
    `rss ${s.rssMb} MB`,
  ].join('  ')
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return Math.round((used.user + used.system) / 1000) / 1000
}
