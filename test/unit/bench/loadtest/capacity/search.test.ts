import { describe, expect, it } from 'vitest'
import { findCapacity, type SearchOptions } from '../../../../../bench/loadtest/capacity/search.js'
import type { StepMeasure } from '../../../../../bench/loadtest/capacity/slo.js'

/** A pipeline whose PUBACK p99 is 20 ms up to `knee` msg/s and explodes beyond it. */
function pipeline(knee: number) {
  const rates: Array<[number, string]> = []
  const run = (rate: number, phase: string): Promise<StepMeasure> => {
    rates.push([rate, phase])
    const over = rate > knee
    return Promise.resolve({
      ratePerSec: rate,
      steadySeconds: 60,
      scheduled: rate * 60,
      acknowledged: rate * 60,
      pubackP99Ms: over ? 2_500 : 20,
      influxVisibleP99Ms: over ? 9_000 : 400,
      alertP99Ms: 80,
      alerting: true,
      lagRecords: { storage: over ? rate * 10 : 5 },
      lost: 0,
      loadAlarms: {},
      generatorLagP99Ms: 3,
    })
  }
  return { run, rates }
}

const options: SearchOptions = {
  startRate: 1_000,
  maxRate: 50_000,
  ladderFactor: 2,
  resolution: 0.1,
  warmUpRate: 500,
  maxSteps: 20,
  climbPastFailures: 0,
}

describe('findCapacity', () => {
  it('climbs the ladder, then bisects to within the resolution of the knee', async () => {
    const p = pipeline(6_300)
    const result = await findCapacity(options, p.run)
    expect(p.rates[0]).toEqual([500, 'warm-up'])
    expect(p.rates.filter(([, ph]) => ph === 'ladder').map(([r]) => r)).toEqual([1_000, 2_000, 4_000, 8_000])
    expect(result.sustainedRate).not.toBeNull()
    const sustained = result.sustainedRate as number
    const failing = result.firstFailingRate as number
    expect(sustained).toBeLessThanOrEqual(6_300)
    expect(failing).toBeGreaterThan(6_300)
    expect((failing - sustained) / sustained).toBeLessThanOrEqual(0.1)
    expect(result.stoppedBecause).toBe('resolution')
  })

  it('never counts the warm-up step, even when it fails', async () => {
    let first = true
    const result = await findCapacity({ ...options, maxRate: 1_000 }, (rate) => {
      const cold = first
      first = false
      return pipeline(cold ? 0 : 10_000).run(rate, '')
    })
    expect(result.steps[0]?.pass).toBe(false)
    expect(result.sustainedRate).toBe(1_000)
    expect(result.stoppedBecause).toBe('max-rate')
  })

  it('reports no capacity when the first judged step fails, rather than a rate that never held', async () => {
    const result = await findCapacity(options, pipeline(100).run)
    expect(result.sustainedRate).toBeNull()
    expect(result.firstFailingRate).toBe(1_000)
    expect(result.stoppedBecause).toBe('first-step-failed')
  })

  it('climbs past failures at the bottom when told to: a store batching by size is slow at low rates', async () => {
    const rates: number[] = []
    const batching = (rate: number) => {
      rates.push(rate)
      return pipeline(rate < 2_000 ? 0 : 5_000).run(rate, '')
    }
    const result = await findCapacity({ ...options, warmUpRate: 0, climbPastFailures: 2 }, batching)
    expect(rates.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000])
    expect(result.sustainedRate).toBeGreaterThanOrEqual(4_000)
    expect(result.sustainedRate).toBeLessThanOrEqual(5_000)
    expect((result.firstFailingRate as number) > 5_000).toBe(true)
    const stuck = await findCapacity({ ...options, warmUpRate: 0, climbPastFailures: 2 }, pipeline(100).run)
    expect(stuck.steps).toHaveLength(3)
    expect(stuck).toMatchObject({
      sustainedRate: null,
      firstFailingRate: 1_000,
      stoppedBecause: 'first-step-failed',
    })
  })

  it('stops at maxSteps', async () => {
    const result = await findCapacity({ ...options, maxSteps: 2, warmUpRate: 0 }, pipeline(1e9).run)
    expect(result.steps).toHaveLength(2)
    expect(result.stoppedBecause).toBe('max-steps')
  })

  it('keeps the steps measured before a Ctrl-C and neither judges nor records the one it cut short', async () => {
    const interrupt = new AbortController()
    const p = pipeline(1e9)
    // The third run (the second ladder step) is under way when the signal comes.
    const run = async (rate: number, phase: string): Promise<StepMeasure> => {
      const measure = await p.run(rate, phase)
      if (p.rates.length === 3) interrupt.abort()
      return measure
    }
    const result = await findCapacity(options, run, undefined, undefined, interrupt.signal)
    expect(result.stoppedBecause).toBe('interrupted')
    expect(result.steps.map((s) => [s.phase, s.ratePerSec])).toEqual([
      ['warm-up', 500],
      ['ladder', 1_000],
    ])
    expect(result.sustainedRate).toBe(1_000)
    expect(result.firstFailingRate).toBeNull()
  })
})
