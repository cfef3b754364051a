import type { Clock } from './clock.js'
import { systemClock } from './clock.js'
import { PipelineError, isRetriable } from './errors.js'

export interface RetryOptions {
  /** Attempts in total, including the first. */
  attempts: number
  initialDelayMs: number
  maxDelayMs: number
  /** Multiplier between attempts. */
  factor?: number
  signal?: AbortSignal
  clock?: Clock
  /** Decides whether an error is worth another attempt; defaults to `error.retriable`. */
  shouldRetry?: (err: unknown) => boolean
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Injected for deterministic tests; returns [0, 1). */
  random?: () => number
}

/** Full-jitter exponential backoff (AWS architecture blog): spreads reconnect storms. */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number): number {
  const factor = options.factor ?? 2
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * factor ** (attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/**
 * Runs `fn` until it succeeds, the attempts run out, or the error is not retriable.
 * When it gives up, the error says how many attempts were made and carries the last cause.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock
  const shouldRetry = options.shouldRetry ?? isRetriable
  const random = options.random ?? Math.random
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) {
      throw new PipelineError('RETRY_ABORTED', `aborted before attempt ${attempt}`, {
        cause: options.signal.reason,
      })
    }
    try {
      return await fn(attempt)
    } catch (err) {
      if (!shouldRetry(err)) throw err
      if (attempt >= options.attempts) {
        throw new PipelineError('RETRY_EXHAUSTED', `gave up after ${attempt} attempts`, {
          cause: err,
          context: { attempts: attempt },
        })
      }
      const delayMs = backoffDelay(attempt, options, random)
      options.onRetry?.(err, attempt, delayMs)
      await clock.sleep(delayMs, options.signal)
    }
  }
}
