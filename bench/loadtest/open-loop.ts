import type { LoadSchedule } from './schedule.js'

/** A clock with sub-millisecond resolution, ms since the epoch (injectable for tests). */
export interface FineClock {
  now(): number
}

/** performance.now() anchored to the epoch: monotonic, fractional, one clock for every hop. */
export const fineClock: FineClock = { now: () => performance.timeOrigin + performance.now() }

export interface OpenLoopOptions {
  schedule: LoadSchedule
  clock: FineClock
  /** Wall time of offset 0, ms since the epoch. */
  startMs: number
  /** Sends message n; `scheduledMs` is when it was due (it may be later now). Never awaited. */
  send: (n: number, scheduledMs: number) => void
  /**
   * At most this many sends per wake-up; the rest go out after I/O had a turn, so acks and
   * taps keep being read while the generator catches up. Late sends keep their scheduled times.
   */
  maxBurst?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export interface OpenLoop {
  start(): void
  stop(): void
  /** Messages handed to `send` so far. */
  sent(): number
  /** How late the most recent wake-up was behind the oldest message it sent, ms. */
  lagMs(): number
  /** The largest such delay of the run, ms: a generator that could not keep its schedule shows here. */
  maxLagMs(): number
  /** Resolves when every scheduled message was sent, or `stop` was called. */
  readonly done: Promise<void>
}

/**
 * One timer drives every device: each wake-up sends all messages whose time has come, then
 * sleeps until the next one is due. The schedule never waits for acknowledgements (open loop),
 * so a slow system under test shows up as latency instead of as a politely lower offered rate.
 */
export function createOpenLoop(options: OpenLoopOptions): OpenLoop {
  const { schedule, clock, startMs, send } = options
  const maxBurst = options.maxBurst ?? 5_000
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout))
  let next = 0
  let lag = 0
  let maxLag = 0
  let timer: unknown
  let running = false
  let finish: () => void = () => undefined
  const done = new Promise<void>((resolve) => (finish = resolve))

  function tick(): void {
    timer = undefined
    if (!running) return
    const elapsed = clock.now() - startMs
    let burst = 0
    if (next < schedule.total && schedule.offsetMs(next) <= elapsed) {
      lag = elapsed - schedule.offsetMs(next)
      maxLag = Math.max(maxLag, lag)
    }
    while (next < schedule.total && burst < maxBurst) {
      const offset = schedule.offsetMs(next)
      if (offset > elapsed) break
      send(next, startMs + offset)
      next++
      burst++
    }
    if (next >= schedule.total) {
      running = false
      finish()
      return
    }
    const wait = burst >= maxBurst ? 0 : Math.max(0, schedule.offsetMs(next) - (clock.now() - startMs))
    // setTimeout rounds down to whole ms; waking a little late is fine, waking early only re-arms.
    timer = setTimer(tick, Math.ceil(wait))
  }

  return {
    start() {
      if (running) return
      running = true
      if (schedule.total === 0) {
        running = false
        finish()
        return
      }
      timer = setTimer(tick, Math.max(0, Math.ceil(startMs - clock.now())))
    },
    stop() {
      running = false
      if (timer !== undefined) clearTimer(timer)
      timer = undefined
      finish()
    },
    sent: () => next,
    lagMs: () => lag,
    maxLagMs: () => maxLag,
    done,
  }
}
