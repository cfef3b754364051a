import { describe, expect, it } from 'vitest'
import { createScheduler } from '../../../../devices-sim/runtime/scheduler.js'
import { FakeClock } from '../../../helpers/fake-clock.js'

/** Drives the scheduler's single timer by hand. */
function harness() {
  const clock = new FakeClock(0)
  let pending: { fn: () => void; at: number } | undefined
  const scheduler = createScheduler({
    clock,
    coalesceMs: 0,
    setTimer: (fn, ms) => (pending = { fn, at: clock.now() + ms }),
    clearTimer: () => (pending = undefined),
  })
  return {
    clock,
    scheduler,
    timers: () => (pending ? 1 : 0),
    /** Fires the timer `lateMs` after it was due, as a busy event loop would. */
    async fire(lateMs = 0) {
      const timer = pending
      if (!timer) throw new Error('no timer armed')
      await clock.advance(timer.at + lateMs - clock.now())
      pending = undefined
      timer.fn()
    },
  }
}

describe('devices-sim > runtime > scheduler', () => {
  it('keeps one timer for many tasks and runs them in due order', async () => {
    const h = harness()
    const order: string[] = []
    for (const [name, at] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
    ] as const) {
      h.scheduler.add(() => {
        order.push(name)
        return undefined
      }, at)
    }
    h.scheduler.start()
    expect(h.timers()).toBe(1)
    await h.fire()
    await h.fire()
    await h.fire()
    expect(order).toEqual(['a', 'b', 'c'])
    expect(h.scheduler.size()).toBe(0)
  })

  it('reschedules from the due time, so late ticks do not make a device drift', async () => {
    const h = harness()
    const dues: number[] = []
    h.scheduler.add((due) => {
      dues.push(due)
      return due + 1_000
    }, 1_000)
    h.scheduler.start()
    for (let i = 0; i < 5; i++) await h.fire(i === 1 ? 700 : 0)
    expect(dues).toEqual([1_000, 2_000, 3_000, 4_000, 5_000])
    expect(h.scheduler.lastLagMs()).toBe(0)
  })

  it('reports how late a tick ran (event-loop pressure)', async () => {
    const h = harness()
    h.scheduler.add((due) => due + 100, 100)
    h.scheduler.start()
    await h.fire(40)
    expect(h.scheduler.lastLagMs()).toBe(40)
  })

  it('runs nothing after stop', async () => {
    const h = harness()
    let runs = 0
    h.scheduler.add((due) => {
      runs++
      return due + 10
    }, 10)
    h.scheduler.start()
    await h.fire()
    h.scheduler.stop()
    expect(h.timers()).toBe(0)
    expect(runs).toBe(1)
  })
})
