import { describe, expect, it } from 'vitest'
import { createOpenLoop } from '../../../../bench/loadtest/open-loop.js'
import { createSchedule } from '../../../../bench/loadtest/schedule.js'

/** Timers on a fake clock: time moves only when the test says, timers fire in time order. */
class FakeTimers {
  now = 1_000_000
  #timers: Array<{ at: number; fn: () => void; id: number }> = []
  #next = 0
  readonly clock = { now: () => this.now }
  setTimer = (fn: () => void, ms: number): unknown => {
    const id = ++this.#next
    this.#timers.push({ at: this.now + ms, fn, id })
    return id
  }
  clearTimer = (id: unknown): void => {
    this.#timers = this.#timers.filter((t) => t.id !== id)
  }
  /** Runs every timer due up to `until`, each at its own time (plus `lateMs`: a busy event loop). */
  runUntil(until: number, lateMs = 0): void {
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at)
      const t = this.#timers[0]
      if (!t || t.at > until) break
      this.#timers.shift()
      this.now = Math.max(this.now, t.at + lateMs)
      t.fn()
    }
    this.now = Math.max(this.now, until)
  }
}

function harness(
  spec: { devices: number; ratePerSec: number; durationMs: number; rampUpMs: number },
  lateMs = 0,
) {
  const timers = new FakeTimers()
  const schedule = createSchedule({ ...spec, samples: 1 })
  const sends: Array<{ n: number; scheduledMs: number; actualMs: number }> = []
  const startMs = timers.now + 100
  const loop = createOpenLoop({
    schedule,
    clock: timers.clock,
    startMs,
    send: (n, scheduledMs) => sends.push({ n, scheduledMs, actualMs: timers.now }),
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
  })
  loop.start()
  const run = (): void => timers.runUntil(startMs + spec.durationMs + 1_000, lateMs)
  return { timers, schedule, sends, startMs, loop, run }
}

describe('unit > devices-sim > loadtest > open-loop scheduler', () => {
  it('sends every message at its scheduled time, never early, from one timer', async () => {
    const h = harness({ devices: 10, ratePerSec: 100, durationMs: 2_000, rampUpMs: 0 })
    h.run()
    await h.loop.done
    expect(h.sends).toHaveLength(200)
    for (const [i, s] of h.sends.entries()) {
      expect(s.n).toBe(i)
      expect(s.scheduledMs).toBeCloseTo(h.startMs + i * 10, 6)
      expect(s.actualMs).toBeGreaterThanOrEqual(s.scheduledMs)
      expect(s.actualMs - s.scheduledMs).toBeLessThan(1) // whole-ms timers on a fake clock
    }
    // Round robin: message n is device n mod 10, seq n/10 + 1.
    expect(h.schedule.deviceOf(37)).toBe(7)
    expect(h.schedule.seqOf(37)).toBe(4)
  })

  it('ramps the rate up linearly: messages due by t grow as t² during the ramp, then linearly', () => {
    const h = harness({ devices: 50, ratePerSec: 1_000, durationMs: 10_000, rampUpMs: 4_000 })
    h.run()
    const sentBy = (ms: number): number => h.sends.filter((s) => s.scheduledMs - h.startMs < ms).length
    // N(t) = R t² / (2 ramp): 1000/s → 125 by 1 s, 500 by 2 s, 2000 by 4 s; then 1000 per second.
    expect(sentBy(1_000)).toBeCloseTo(125, -1)
    expect(sentBy(2_000)).toBeCloseTo(500, -1)
    expect(sentBy(4_000)).toBeCloseTo(2_000, -1)
    expect(sentBy(5_000) - sentBy(4_000)).toBeCloseTo(1_000, -1)
    expect(h.sends).toHaveLength(h.schedule.total)
    expect(h.schedule.total).toBe(2_000 + 6_000)
    // The rate in the second half of the ramp is three times the first half's.
    const firstHalf = sentBy(2_000)
    const secondHalf = sentBy(4_000) - firstHalf
    expect(secondHalf / firstHalf).toBeCloseTo(3, 1)
  })

  it('keeps the scheduled timestamp when a send is late (no coordinated omission)', async () => {
    // Every wake-up runs 30 ms late, as on a saturated event loop: messages go out in bursts,
    // yet each keeps the time it was due, so the latency measured from it includes the delay.
    const h = harness({ devices: 5, ratePerSec: 100, durationMs: 1_000, rampUpMs: 0 }, 30)
    h.run()
    await h.loop.done
    expect(h.sends).toHaveLength(100)
    for (const [i, s] of h.sends.entries()) expect(s.scheduledMs).toBeCloseTo(h.startMs + i * 10, 6)
    const late = h.sends.map((s) => s.actualMs - s.scheduledMs)
    expect(Math.max(...late)).toBeGreaterThanOrEqual(30)
    expect(h.loop.maxLagMs()).toBeGreaterThanOrEqual(30)
    // Nothing was skipped or rescheduled to "now": the offered rate is the schedule's.
    expect(new Set(h.sends.map((s) => s.n)).size).toBe(100)
  })

  it('stop() ends the run early; sent() says how many went out', async () => {
    const h = harness({ devices: 1, ratePerSec: 10, durationMs: 10_000, rampUpMs: 0 })
    h.timers.runUntil(h.startMs + 450)
    h.loop.stop()
    await h.loop.done
    expect(h.loop.sent()).toBe(5)
  })
})
