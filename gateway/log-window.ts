import type { Clock } from '../core/clock.js'

export interface LogWindow {
  /**
   * Counts one event; returns how many happened since the last line when a line is due now
   * (at most one per window), otherwise undefined. A device may trip a limit in a loop: the log
   * says how often, the metric says exactly.
   */
  note(): number | undefined
}

export function createLogWindow(clock: Clock, windowMs: number): LogWindow {
  let count = 0
  let loggedAtMs = Number.NEGATIVE_INFINITY
  return {
    note() {
      count++
      const now = clock.now()
      if (now - loggedAtMs < windowMs) return undefined
      const events = count
      count = 0
      loggedAtMs = now
      return events
    },
  }
}
