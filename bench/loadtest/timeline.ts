import { LatencyHistogram } from './histogram.js'

/** The hops whose latency is followed over time. */
export const TIMELINE_HOPS = ['puback', 'influxVisible', 'alert'] as const
export type TimelineHop = (typeof TIMELINE_HOPS)[number]

/** Latency of the completions that fell in one second, ms; null percentiles when none did. */
export interface WindowLatency {
  count: number
  p50Ms: number | null
  p99Ms: number | null
}

/** One second of a run (load and drain), for the report's charts. */
export interface TimelinePoint {
  /** End of the second, s since the load started. */
  atS: number
  offeredPerSec: number
  ackedPerSec: number
  /** Distinct messages first seen in Kafka in that second. */
  kafkaPerSec: number
  /**
   * Messages that became visible in InfluxDB in that second, estimated from the visibility
   * probes (probes found × one-in-N): the store's own rate, not when the reading was taken.
   */
  storedPerSecEst: number
  latency: Record<TimelineHop, WindowLatency>
  /** CPU of each process in that second, % of one core. */
  cpuPercent: Record<string, number>
}

export interface TimelineTotals {
  sent: number
  acked: number
  kafka: number
  /** Probes found visible so far. */
  visible: number
}

/** Enough for an hour at one point a second; a longer run keeps its first hour. */
export const TIMELINE_MAX_POINTS = 3_600

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits
const zero: TimelineTotals = { sent: 0, acked: 0, kafka: 0, visible: 0 }

/**
 * Per-second buckets of a run: counters are differenced at each tick, latencies go into one
 * small log histogram per hop that is summarised and emptied at each tick. Memory is one
 * point a second (capped), never one entry per message.
 */
export class RunTimeline {
  readonly #points: TimelinePoint[] = []
  #window = TimelineWindow.empty()
  #last: { atMs: number; totals: TimelineTotals }

  constructor(
    readonly startMs: number,
    /** Messages per probe: scales probes found to messages stored. */
    readonly probeEvery: number,
    readonly maxPoints = TIMELINE_MAX_POINTS,
  ) {
    this.#last = { atMs: startMs, totals: zero }
  }

  /** A completion of `hop` with latency `ms`, counted in the current second. */
  record(hop: TimelineHop, ms: number): void {
    this.#window.histograms[hop].record(ms)
  }

  /**
   * Closes the current second at `nowMs` with the run's running totals. Ticks before the load
   * starts only move the baseline (the connect phase is not part of the timeline).
   */
  tick(nowMs: number, totals: TimelineTotals, cpuPercent: Record<string, number> = {}): void {
    const window = this.#window
    this.#window = TimelineWindow.empty()
    const last = this.#last
    this.#last = { atMs: nowMs, totals: { ...totals } }
    if (nowMs <= this.startMs || this.#points.length >= this.maxPoints) return
    const dt = Math.max(0.001, (nowMs - Math.max(last.atMs, this.startMs)) / 1000)
    const perSec = (now: number, before: number): number => round((now - before) / dt)
    this.#points.push({
      atS: round((nowMs - this.startMs) / 1000, 2),
      offeredPerSec: perSec(totals.sent, last.totals.sent),
      ackedPerSec: perSec(totals.acked, last.totals.acked),
      kafkaPerSec: perSec(totals.kafka, last.totals.kafka),
      storedPerSecEst: perSec(totals.visible * this.probeEvery, last.totals.visible * this.probeEvery),
      latency: window.summary(),
      cpuPercent: Object.fromEntries(Object.entries(cpuPercent).map(([k, v]) => [k, round(v)])),
    })
  }

  points(): TimelinePoint[] {
    return [...this.#points]
  }
}

class TimelineWindow {
  private constructor(readonly histograms: Record<TimelineHop, LatencyHistogram>) {}

  static empty(): TimelineWindow {
    return new TimelineWindow({
      puback: new LatencyHistogram(),
      influxVisible: new LatencyHistogram(),
      alert: new LatencyHistogram(),
    })
  }

  summary(): Record<TimelineHop, WindowLatency> {
    const of = (h: LatencyHistogram): WindowLatency => {
      const s = h.summary()
      return { count: s.count, p50Ms: s.p50Ms, p99Ms: s.p99Ms }
    }
    return {
      puback: of(this.histograms.puback),
      influxVisible: of(this.histograms.influxVisible),
      alert: of(this.histograms.alert),
    }
  }
}

/** Quantiles of the latency-distribution curve: denser towards the tail, where the hops differ. */
export const CURVE_QUANTILES = [
  0, 0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999, 0.9995, 0.9999,
] as const

/**
 * The percentile curve of a histogram, [quantile, ms] pairs, then [1, max]. A quantile whose
 * tail holds less than one sample says nothing the max does not, so it is left out.
 */
export function percentileCurve(h: LatencyHistogram): Array<[number, number]> {
  if (h.count === 0) return []
  const curve: Array<[number, number]> = []
  for (const q of CURVE_QUANTILES) {
    if ((1 - q) * h.count < 1) break
    const v = h.quantile(q)
    if (v !== null) curve.push([q, Math.round(v * 1000) / 1000])
  }
  const max = h.summary().maxMs
  if (max !== null) curve.push([1, max])
  return curve
}

/** The percentile curve of each named histogram (the report's `distribution`). */
export function percentileCurves<K extends string>(
  histograms: Record<K, LatencyHistogram>,
): Record<K, Array<[number, number]>> {
  const entries = Object.entries(histograms) as Array<[K, LatencyHistogram]>
  return Object.fromEntries(entries.map(([k, h]) => [k, percentileCurve(h)])) as Record<
    K,
    Array<[number, number]>
  >
}
