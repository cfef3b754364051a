import type { Clock } from '../../core/clock.js'
import { PipelineError } from '../../core/errors.js'
import { backoffDelay } from '../../core/retry.js'

export interface KeepTryingOptions {
  minDelayMs: number
  maxDelayMs: number
  clock: Clock
  /** Once aborted, a failure is final (the attempt in progress still completes). */
  signal: AbortSignal
  shouldRetry(err: unknown): boolean
  onRetry?(err: unknown, attempt: number, delayMs: number): void
  random?: () => number
}

/**
 * Runs `fn` until it succeeds, with capped exponential backoff and jitter, for as long as the
 * signal is not aborted. Unlike core `retry`, an aborted signal still allows an attempt: a
 * stopping processor flushes what it holds once, and only stops *waiting* for InfluxDB.
 */
export async function keepTrying<T>(fn: () => Promise<T>, options: KeepTryingOptions): Promise<T> {
  const random = options.random ?? Math.random
  const backoff = {
    attempts: Number.POSITIVE_INFINITY,
    initialDelayMs: options.minDelayMs,
    maxDelayMs: options.maxDelayMs,
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (!options.shouldRetry(err)) throw err
      if (options.signal.aborted) {
        throw new PipelineError('RETRY_ABORTED', `stopped retrying after ${attempt} attempts`, {
          cause: err,
          context: { attempts: attempt },
        })
      }
      const delayMs = backoffDelay(attempt, backoff, random)
      options.onRetry?.(err, attempt, delayMs)
      await options.clock.sleep(delayMs, options.signal)
    }
  }
}
