import type { Rng } from '../rng.js'

/**
 * Ornstein–Uhlenbeck noise (domain.md §1.3: `OU_noise(t)` with τ per parameter): mean-reverting,
 * so a vital sign wanders like a real one instead of jumping like white noise. Advanced with the
 * exact discretisation x' = x·e^(−dt/τ) + σ·√(1 − e^(−2dt/τ))·N(0,1), so the statistics do not
 * depend on how often it is sampled.
 */
export interface OuOptions {
  /** Mean-reversion time constant, ms. */
  tauMs: number
  /** Stationary standard deviation, in the metric's unit. */
  sigma: number
  rng: Rng
  /** Time of the initial value, ms (for `at`). */
  startMs?: number
  /** Initial value; default: a draw from the stationary distribution N(0, σ²). */
  initial?: number
}

export interface OuProcess {
  /** The current value. */
  value(): number
  /** Advances by dtMs (≤ 0 leaves it unchanged) and returns the new value. */
  advance(dtMs: number): number
  /** Advances to absolute time tMs (never backwards) and returns the value there. */
  at(tMs: number): number
}

export function createOu(options: OuOptions): OuProcess {
  const { tauMs, sigma, rng } = options
  if (!(tauMs > 0) || !(sigma >= 0))
    throw new RangeError(`OU needs tau > 0 and sigma >= 0 (${tauMs}, ${sigma})`)
  let x = options.initial ?? sigma * rng.normal()
  let lastMs = options.startMs ?? 0
  const advance = (dtMs: number): number => {
    if (dtMs <= 0) return x
    const decay = Math.exp(-dtMs / tauMs)
    x = x * decay + sigma * Math.sqrt(1 - decay * decay) * rng.normal()
    return x
  }
  return {
    value: () => x,
    advance,
    at(tMs) {
      const value = advance(tMs - lastMs)
      lastMs = Math.max(lastMs, tMs)
      return value
    },
  }
}
