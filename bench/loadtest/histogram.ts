/**
 * A latency histogram with bounded relative error and constant memory, so a 30-minute soak
 * at 10 k msg/s costs the same as a 10-second run. Values are bucketed on a log scale with
 * ratio 1 + `relativeError` (1 % by default): every reported percentile lies within that
 * error of the true sample at that rank. Count, min, max and mean are exact.
 */
export interface LatencySummary {
  count: number
  /** Percentiles by nearest rank, ms; null when nothing was recorded. */
  p50Ms: number | null
  p90Ms: number | null
  p99Ms: number | null
  p999Ms: number | null
  maxMs: number | null
  minMs: number | null
  meanMs: number | null
}

/** Values below this (1 µs) share the lowest bucket: below the resolution of anything measured here. */
const FLOOR_MS = 0.001

export class LatencyHistogram {
  readonly #logBase: number
  readonly #counts = new Map<number, number>()
  #count = 0
  #sum = 0
  #min = Number.POSITIVE_INFINITY
  #max = Number.NEGATIVE_INFINITY

  constructor(readonly relativeError = 0.01) {
    this.#logBase = Math.log1p(relativeError)
  }

  /** Records one latency, ms. Negative values (clock steps) count as 0. */
  record(ms: number): void {
    const value = Math.max(0, ms)
    const bucket = value <= FLOOR_MS ? 0 : Math.ceil(Math.log(value / FLOOR_MS) / this.#logBase)
    this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + 1)
    this.#count++
    this.#sum += value
    if (value < this.#min) this.#min = value
    if (value > this.#max) this.#max = value
  }

  get count(): number {
    return this.#count
  }

  /** The value at quantile q (0–1) by nearest rank: the smallest value with at least q·count at or below it. */
  quantile(q: number): number | null {
    if (this.#count === 0) return null
    const rank = Math.max(1, Math.ceil(q * this.#count))
    let seen = 0
    for (const bucket of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(bucket) ?? 0
      if (seen >= rank) return this.#clamp(this.#representative(bucket))
    }
    return this.#max
  }

  summary(): LatencySummary {
    const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000)
    const empty = this.#count === 0
    return {
      count: this.#count,
      p50Ms: round(this.quantile(0.5)),
      p90Ms: round(this.quantile(0.9)),
      p99Ms: round(this.quantile(0.99)),
      p999Ms: round(this.quantile(0.999)),
      maxMs: empty ? null : round(this.#max),
      minMs: empty ? null : round(this.#min),
      meanMs: empty ? null : round(this.#sum / this.#count),
    }
  }

  /** Bucket b holds (FLOOR·γ^(b−1), FLOOR·γ^b]; its midpoint in log space is within the error of both ends. */
  #representative(bucket: number): number {
    if (bucket === 0) return 0
    return FLOOR_MS * Math.exp((bucket - 0.5) * this.#logBase)
  }

  #clamp(value: number): number {
    return Math.min(this.#max, Math.max(this.#min, value))
  }
}
