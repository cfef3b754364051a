const HOUR_MS = 3_600_000

export interface BatteryOptions {
  startPct: number
  /** The device's own drain, percentage points per hour (0 on mains power). */
  drainPerHour: number
  startMs: number
}

export interface Battery {
  /**
   * Integrates the drain up to tMs with `extraDrainPerHour` (scenario battery decline) and
   * returns the level; calls for earlier times return the current level unchanged.
   */
  advanceTo(tMs: number, extraDrainPerHour: number): number
  /** Level at tMs extrapolated with the last drain, without changing the state (status reports). */
  peek(tMs: number): number
}

/** A monotone battery (domain.md §1.3: "monotone decline"), floored at 0 %. */
export function createBattery(options: BatteryOptions): Battery {
  let level = options.startPct
  let lastMs = options.startMs
  let lastExtra = 0
  const after = (tMs: number, extra: number): number =>
    Math.max(0, level - ((options.drainPerHour + extra) * Math.max(0, tMs - lastMs)) / HOUR_MS)
  return {
    advanceTo(tMs, extraDrainPerHour) {
      if (tMs <= lastMs) return level
      level = after(tMs, extraDrainPerHour)
      lastMs = tMs
      lastExtra = extraDrainPerHour
      return level
    },
    peek: (tMs) => after(tMs, lastExtra),
  }
}
