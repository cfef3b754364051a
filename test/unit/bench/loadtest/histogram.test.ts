import { describe, expect, it } from 'vitest'
import { LatencyHistogram } from '../../../../bench/loadtest/histogram.js'
import { percentile } from '../../../../bench/proc-stats.js'

describe('unit > devices-sim > loadtest > latency histogram', () => {
  it('reports nearest-rank percentiles within 1 % of the exact values', () => {
    // A long-tailed sample like real latencies: mostly a few ms, a tail to seconds.
    let seed = 42
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const values = Array.from(
      { length: 50_000 },
      () => 0.5 + -Math.log(1 - random()) * 3 + (random() < 0.01 ? 800 * random() : 0),
    )
    const h = new LatencyHistogram()
    for (const v of values) h.record(v)
    const sorted = [...values].sort((a, b) => a - b)
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = percentile(sorted, q * 100)
      expect(Math.abs((h.quantile(q) ?? 0) - exact) / exact).toBeLessThan(0.01)
    }
    const s = h.summary()
    expect(s.count).toBe(50_000)
    expect(s.maxMs).toBeCloseTo(sorted.at(-1) ?? 0, 3)
    expect(s.minMs).toBeCloseTo(sorted[0] ?? 0, 3)
    expect(s.meanMs).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 2)
  })

  it('is exact at the edges: one value, the maximum, nothing recorded', () => {
    const h = new LatencyHistogram()
    expect(h.summary()).toMatchObject({ count: 0, p50Ms: null, p99Ms: null, maxMs: null })
    h.record(12.5)
    expect(h.summary()).toMatchObject({ count: 1, p50Ms: 12.5, p999Ms: 12.5, maxMs: 12.5 })
    for (let i = 0; i < 99; i++) h.record(1)
    // p99 by nearest rank of 100 values is the 99th smallest (1); the max stays exact.
    expect(h.quantile(0.99)).toBeCloseTo(1, 1)
    expect(h.quantile(1)).toBe(12.5)
  })

  it('counts negative latencies (a clock step) as 0 instead of corrupting the buckets', () => {
    const h = new LatencyHistogram()
    h.record(-3)
    h.record(2)
    expect(h.summary()).toMatchObject({ count: 2, minMs: 0, maxMs: 2 })
  })
})
