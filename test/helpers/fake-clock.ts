import type { Clock } from '../../core/clock.js'

/** A clock that only moves when told to; sleeps resolve as time is advanced past them. */
export class FakeClock implements Clock {
  #now: number
  #sleepers: Array<{ until: number; resolve: () => void }> = []
  readonly sleeps: number[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error)
      const onAbort = (): void => reject(signal?.reason as Error)
      this.#sleepers.push({
        until: this.#now + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  async advance(ms: number): Promise<void> {
    this.#now += ms
    const due = this.#sleepers.filter((s) => s.until <= this.#now)
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#now)
    for (const sleeper of due) sleeper.resolve()
    await Promise.resolve()
  }

  /**
   * Lets pending work run and resolves sleeps in time order until nothing sleeps any more
   * (for code that loops on sleeps, like retry).
   */
  async runAll(maxRounds = 10_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      await new Promise((resolve) => setImmediate(resolve))
      if (this.#sleepers.length === 0) return
      const next = Math.min(...this.#sleepers.map((s) => s.until))
      await this.advance(next - this.#now)
    }
    throw new Error(`still sleeping after ${maxRounds} rounds`)
  }
}
