import FlatQueue from 'flatqueue'
import type { Clock } from '../../core/clock.js'

/** Work due at a time; returns the next time it is due, or undefined when done. */
export type ScheduledTask = (dueMs: number) => number | undefined

/**
 * One timer for thousands of devices. Each task is due at an absolute time and reschedules
 * itself from that due time (not from when it ran), so a late tick never makes a device drift:
 * 10,000 `setInterval`s would each drift and all wake the event loop separately.
 */
export interface Scheduler {
  add(task: ScheduledTask, firstDueMs: number): void
  start(): void
  stop(): void
  /** How late the last batch of due tasks ran, ms (event-loop pressure). */
  lastLagMs(): number
  size(): number
}

export interface SchedulerOptions {
  clock: Clock
  /** Tasks due within this window run in the same wake-up (bounds the number of timers). */
  coalesceMs?: number
  /** Timer functions, injectable for tests. */
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock } = options
  const coalesceMs = options.coalesceMs ?? 2
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout))
  const queue = new FlatQueue<ScheduledTask>()
  let timer: unknown
  let running = false
  let lag = 0

  function arm(): void {
    if (!running || queue.length === 0) return
    const next = queue.peekValue() ?? clock.now()
    timer = setTimer(tick, Math.max(0, next - clock.now()))
  }

  function tick(): void {
    timer = undefined
    const now = clock.now()
    let first = true
    while (queue.length > 0 && (queue.peekValue() ?? Infinity) <= now + coalesceMs) {
      const due = queue.peekValue() as number
      const task = queue.pop() as ScheduledTask
      if (first) {
        lag = Math.max(0, now - due)
        first = false
      }
      const next = task(due)
      if (next !== undefined) queue.push(task, next)
    }
    arm()
  }

  return {
    add(task, firstDueMs) {
      queue.push(task, firstDueMs)
      if (running && timer === undefined) arm()
      else if (running && firstDueMs <= (queue.peekValue() ?? Infinity)) {
        clearTimer(timer)
        arm()
      }
    },
    start() {
      running = true
      arm()
    },
    stop() {
      running = false
      if (timer !== undefined) clearTimer(timer)
      timer = undefined
    },
    lastLagMs: () => lag,
    size: () => queue.length,
  }
}
