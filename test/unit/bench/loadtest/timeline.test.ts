import { describe, expect, it } from 'vitest'
import { LatencyHistogram } from '../../../../bench/loadtest/histogram.js'
import { RunTimeline, percentileCurve } from '../../../../bench/loadtest/timeline.js'

const totals = (sent: number, acked = sent, kafka = sent, visible = 0) => ({ sent, acked, kafka, visible })

describe('bench > loadtest > timeline', () => {
  it('differences the running totals into per-second rates, from the load start on', () => {
    const t = new RunTimeline(10_000, 10)
    t.tick(9_500, totals(0)) // connect phase: no point
    t.tick(11_000, totals(200, 190, 180, 18))
    t.tick(12_000, totals(400, 400, 390, 39))
    t.tick(12_500, totals(500, 500, 500, 50)) // half a second: rates scale up
    expect(
      t.points().map((p) => [p.atS, p.offeredPerSec, p.ackedPerSec, p.kafkaPerSec, p.storedPerSecEst]),
    ).toEqual([
      [1, 200, 190, 180, 180],
      [2, 200, 210, 210, 210],
      [2.5, 200, 200, 220, 220],
    ])
  })

  it('summarises each second’s latencies apart: a quiet second is a gap, not the previous value', () => {
    const t = new RunTimeline(0, 1)
    for (let ms = 1; ms <= 100; ms++) t.record('puback', ms)
    t.record('alert', 80)
    t.tick(1_000, totals(100))
    t.record('influxVisible', 300)
    t.tick(2_000, totals(100))
    const [first, second] = t.points()
    expect(first?.latency.puback.count).toBe(100)
    expect(first?.latency.puback.p50Ms).toBeCloseTo(50, -0.5)
    expect(first?.latency.puback.p99Ms).toBeCloseTo(99, -0.5)
    expect(first?.latency.alert).toMatchObject({ count: 1 })
    expect(first?.latency.influxVisible).toEqual({ count: 0, p50Ms: null, p99Ms: null })
    expect(second?.latency.puback).toEqual({ count: 0, p50Ms: null, p99Ms: null })
    expect(second?.latency.influxVisible.count).toBe(1)
    expect(second?.latency.influxVisible.p99Ms).toBeCloseTo(300, -1)
  })

  it('keeps CPU per process rounded, and stops at its cap (memory stays bounded)', () => {
    const t = new RunTimeline(0, 1, 3)
    for (let s = 1; s <= 10; s++) t.tick(s * 1_000, totals(s * 10), { gateway: 12.345, storage: 3 })
    const points = t.points()
    expect(points).toHaveLength(3)
    expect(points[2]?.atS).toBe(3)
    expect(points[0]?.cpuPercent).toEqual({ gateway: 12.3, storage: 3 })
  })

  it('gives the percentile curve up to what the samples support, then the max', () => {
    const h = new LatencyHistogram()
    expect(percentileCurve(h)).toEqual([])
    for (let ms = 1; ms <= 1_000; ms++) h.record(ms)
    const curve = percentileCurve(h)
    const qs = curve.map(([q]) => q)
    expect(qs).toContain(0.999)
    expect(qs).not.toContain(0.9995) // half a sample in that tail
    expect(curve[curve.length - 1]).toEqual([1, 1_000])
    for (let i = 1; i < curve.length; i++) expect(curve[i]![1]).toBeGreaterThanOrEqual(curve[i - 1]![1])
    expect(curve.find(([q]) => q === 0.5)?.[1]).toBeCloseTo(500, -1)
  })
})
