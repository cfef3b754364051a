/** Reads one histogram from a Prometheus text exposition and estimates quantiles from its buckets. */
export interface HistogramSnapshot {
  count: number
  sum: number
  buckets: Array<{ le: number; count: number }>
}

export function parseHistogram(text: string, name: string): HistogramSnapshot {
  const buckets = new Map<number, number>()
  let count = 0
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_bucket{`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1]
      const value = Number(line.slice(line.lastIndexOf(' ') + 1))
      if (le !== undefined) {
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
        buckets.set(bound, (buckets.get(bound) ?? 0) + value)
      }
    } else if (line.startsWith(`${name}_count`)) count += Number(line.slice(line.lastIndexOf(' ') + 1))
    else if (line.startsWith(`${name}_sum`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return {
    count,
    sum,
    buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c })),
  }
}

/** Linear interpolation inside the bucket that holds the quantile (what PromQL histogram_quantile does). */
export function histogramQuantile(h: HistogramSnapshot, q: number): number {
  if (h.count === 0) return Number.NaN
  const rank = q * h.count
  let previousLe = 0
  let previousCount = 0
  for (const { le, count } of h.buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return previousLe
      const inBucket = count - previousCount
      return inBucket === 0 ? le : previousLe + ((le - previousLe) * (rank - previousCount)) / inBucket
    }
    previousLe = le
    previousCount = count
  }
  return previousLe
}
