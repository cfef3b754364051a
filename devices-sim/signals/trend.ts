/**
 * Trend shapes for scenarios (domain.md §1.4: deterioration unfolds over hours). Every shape maps
 * a progress 0…1 onto 0…1 and reaches exactly 1 at the end, so a scenario hits its target values.
 */

/** Linear progress of tMs through [startMs, startMs + durationMs], clamped to 0…1. */
export function linearProgress(tMs: number, startMs: number, durationMs: number): number {
  if (durationMs <= 0) return tMs >= startMs ? 1 : 0
  return Math.min(1, Math.max(0, (tMs - startMs) / durationMs))
}

/**
 * A logistic S-curve through progress p, rescaled so that f(0) = 0 and f(1) = 1: slow onset,
 * fastest change at `centre`, then levelling off (e.g. blood pressure falls late in sepsis).
 */
export function sigmoidProgress(p: number, centre = 0.5, steepness = 10): number {
  const clamped = Math.min(1, Math.max(0, p))
  const logistic = (x: number): number => 1 / (1 + Math.exp(-steepness * (x - centre)))
  const low = logistic(0)
  const high = logistic(1)
  return (logistic(clamped) - low) / (high - low)
}

/** Progress that stays 0 until `delay` (a fraction 0…1), then rises linearly to 1 (late signs). */
export function delayedProgress(p: number, delay: number): number {
  if (delay >= 1) return p >= 1 ? 1 : 0
  return Math.min(1, Math.max(0, (p - delay) / (1 - delay)))
}

export function lerp(from: number, to: number, p: number): number {
  return from + (to - from) * p
}
