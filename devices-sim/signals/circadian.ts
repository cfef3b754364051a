const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

export interface CircadianOptions {
  /** Half the peak-to-trough swing, in the metric's unit. */
  amplitude: number
  /** Hour of day (UTC, 0–24) of the maximum. */
  peakHour: number
}

/**
 * The circadian term of domain.md §1.3 (HR ±5–10 bpm, temperature a few tenths of a degree):
 * a 24-h cosine of true time. UTC stands in for the patient's local time; a simulation does not
 * need more.
 */
export function circadian(tMs: number, options: CircadianOptions): number {
  const hour = (((tMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS
  return options.amplitude * Math.cos((2 * Math.PI * (hour - options.peakHour)) / 24)
}
