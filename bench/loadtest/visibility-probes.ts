import { LatencyHistogram } from './histogram.js'
import { ident, literal, type InfluxQl } from './influx-ql.js'
import type { FineClock } from './open-loop.js'

/** One reading whose arrival in InfluxDB is being watched. */
export interface Probe {
  deviceId: string
  /** The reading's time: the point's timestamp. */
  timeMs: number
  /** The message's scheduled send time, fractional ms: latency is measured from here. */
  scheduledMs: number
}

export interface ProbeOptions {
  ql: InfluxQl
  measurement: string
  field: string
  clock: FineClock
  /** Time between two polls; the latency's resolution. */
  pollMs: number
  /** A probe not visible this long after its send time is given up (its reading is likely lost). */
  timeoutMs?: number
  /** Probes in one query; older ones are asked first. */
  perQuery?: number
  /** Probes scheduled at or after this time also count in `steadyHistogram` (the steady window). */
  steadyFromMs?: number
  /** Beyond this many waiting probes new ones are skipped (counted), so a stalled store cannot grow the query. */
  maxPending?: number
  /** Each probe's latency as it becomes visible (the report's per-second timeline). */
  onVisible?: (ms: number) => void
}

export interface ProbeStats {
  probes: number
  visible: number
  timedOut: number
  skipped: number
  cancelled: number
  queryErrors: number
  pollIntervalMs: number
}

/**
 * Measures "visible in InfluxDB" honestly: not when a write was acknowledged, but when a query
 * returns the point. A sample of readings is polled for, several per query, one query in
 * flight at a time; the latency ends when the answer that contains the point arrives.
 */
export function createVisibilityProbes(options: ProbeOptions) {
  const { ql, clock, pollMs } = options
  const timeoutMs = options.timeoutMs ?? 60_000
  const perQuery = options.perQuery ?? 100
  const maxPending = options.maxPending ?? 2_000
  const pending = new Map<string, Probe>()
  const histogram = new LatencyHistogram()
  const steadyHistogram = new LatencyHistogram()
  const steadyFromMs = options.steadyFromMs ?? Number.POSITIVE_INFINITY
  const stats: ProbeStats = {
    probes: 0,
    visible: 0,
    timedOut: 0,
    skipped: 0,
    cancelled: 0,
    queryErrors: 0,
    pollIntervalMs: pollMs,
  }
  let running = false
  let loop: Promise<void> = Promise.resolve()
  const key = (deviceId: string, timeMs: number): string => `${deviceId}|${timeMs}`

  async function pollOnce(): Promise<void> {
    const now = clock.now()
    for (const [k, p] of pending) {
      if (now - p.scheduledMs > timeoutMs) {
        pending.delete(k)
        stats.timedOut++
      }
    }
    const batch = [...pending.values()].slice(0, perQuery)
    if (batch.length === 0) return
    const times = batch.map((p) => p.timeMs)
    const devices = [...new Set(batch.map((p) => p.deviceId))]
    const q =
      `SELECT ${ident(options.field)}, "device_id" FROM ${ident(options.measurement)} ` +
      `WHERE time >= ${Math.min(...times)}ms AND time <= ${Math.max(...times)}ms AND ` +
      `(${devices.map((d) => `"device_id" = ${literal(d)}`).join(' OR ')})`
    try {
      const series = await ql.query(q)
      const arrived = clock.now()
      for (const s of series) {
        const deviceColumn = s.columns.indexOf('device_id')
        for (const row of s.values) {
          const k = key(String(row[deviceColumn]), Number(row[0]))
          const probe = pending.get(k)
          if (!probe) continue
          pending.delete(k)
          stats.visible++
          histogram.record(arrived - probe.scheduledMs)
          options.onVisible?.(arrived - probe.scheduledMs)
          if (probe.scheduledMs >= steadyFromMs) steadyHistogram.record(arrived - probe.scheduledMs)
        }
      }
    } catch {
      stats.queryErrors++
    }
  }

  async function run(): Promise<void> {
    while (running) {
      const started = clock.now()
      await pollOnce()
      const wait = Math.max(0, pollMs - (clock.now() - started))
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }

  return {
    histogram,
    steadyHistogram,
    stats,
    add(probe: Probe): void {
      if (pending.size >= maxPending) {
        stats.skipped++
        return
      }
      stats.probes++
      pending.set(key(probe.deviceId, probe.timeMs), probe)
    },
    /** The probed message never left the device (QoS 0 while disconnected): nothing to wait for. */
    cancel(deviceId: string, timeMs: number): void {
      if (pending.delete(key(deviceId, timeMs))) stats.cancelled++
    },
    pending: (): number => pending.size,
    start(): void {
      if (running) return
      running = true
      loop = run()
    },
    /** Stops polling; probes still waiting count as never visible. */
    async stop(): Promise<void> {
      running = false
      await loop
      stats.timedOut += pending.size
      pending.clear()
    },
  }
}

export type VisibilityProbes = ReturnType<typeof createVisibilityProbes>
