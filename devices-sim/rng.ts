import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

/** A seeded random source: the same seed gives the same fleet, signals and faults. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Standard normal (mean 0, sd 1). */
  normal(): number
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number
  /** An independent stream derived from this one and a label (one per device, per scenario). */
  fork(label: string): Rng
}

export function createRng(seed: number): Rng {
  const generator = xoroshiro128plus(seed >>> 0)
  let spare: number | undefined
  const rng: Rng = {
    next: () => uniformFloat64(generator),
    normal() {
      // Box-Muller, caching the second value of each pair.
      if (spare !== undefined) {
        const value = spare
        spare = undefined
        return value
      }
      let u = 0
      while (u === 0) u = rng.next()
      const v = rng.next()
      const radius = Math.sqrt(-2 * Math.log(u))
      spare = radius * Math.sin(2 * Math.PI * v)
      return radius * Math.cos(2 * Math.PI * v)
    },
    int: (min, max) => min + Math.floor(rng.next() * (max - min + 1)),
    fork: (label) => createRng(hashSeed(`${seed}:${label}`)),
  }
  return rng
}

/** FNV-1a, 32 bit: a stable seed from a string (device ids, scenario names). */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
