import type { Logger } from 'pino'
import type { Clock } from '../../core/clock.js'
import { PipelineError } from '../../core/errors.js'
import type { InfluxAdapter } from '../../core/influx/client.js'
import { keepTrying } from './keep-trying.js'

/**
 * A point, as one line of line protocol, and what it came from (so an unwritable point can be
 * traced back to its record when a rejected batch is bisected down to it).
 */
export interface PendingPoint<S> {
  line: string
  source: S
}

/** How one write request ended: `ok`, a reason worth retrying, or `rejected` (the data itself is refused). */
export type WriteOutcome = 'ok' | 'unavailable' | 'throttled' | 'server_error' | 'refused' | 'rejected'

export interface WriterObserver<S> {
  /** After every write request. */
  request?(outcome: WriteOutcome, points: number, durationMs: number): void
  /** Points InfluxDB acknowledged (once per successful request). */
  written?(entries: readonly PendingPoint<S>[]): void
  retrying?(
    reason: Exclude<WriteOutcome, 'ok' | 'rejected'>,
    err: unknown,
    attempt: number,
    delayMs: number,
  ): void
}

export interface InfluxWriterOptions<S> {
  influx: Pick<InfluxAdapter, 'write'>
  /** Upper bound of points per request; reaching it flushes at once. */
  maxPoints: number
  /** How long the oldest buffered point may wait for others before the buffer is flushed anyway. */
  maxWaitMs: number
  retry: { minDelayMs: number; maxDelayMs: number }
  clock: Clock
  logger: Logger
  /**
   * Points InfluxDB can never accept as they are (400 or 422: bad line, field type conflict,
   * outside the retention). Awaited before the batch counts as done: the caller parks them (DLQ).
   */
  onRejected(rejected: ReadonlyArray<{ entry: PendingPoint<S>; error: PipelineError }>): Promise<void>
  observer?: WriterObserver<S>
  /** Injected for deterministic tests; returns [0, 1). */
  random?: () => number
}

export interface InfluxWriter<S> {
  /**
   * Buffers points that entered the pipeline at `enqueuedAtMs` (default: now); resolves once
   * every one of them is acknowledged by InfluxDB or handed to `onRejected`. Rejects only when
   * the writer is closed while they still fail, or on a bug.
   */
  write(entries: readonly PendingPoint<S>[], enqueuedAtMs?: number): Promise<void>
  /** Sends the buffer now instead of waiting for `maxWaitMs`; settles when that flush is done. */
  flush(): Promise<void>
  buffered(): number
  /**
   * Flushes the buffer and stops retrying: a write still failing then rejects, so its records'
   * offsets stay uncommitted and the next consumer writes them.
   */
  close(): Promise<void>
}

interface Waiter {
  resolve(): void
  reject(err: unknown): void
}

export const statusOf = (err: unknown): number | undefined =>
  err instanceof PipelineError && typeof err.context.status === 'number' ? err.context.status : undefined

/**
 * "Never like this": split, don't retry. 400 is InfluxDB 1.x's answer to a bad line, a field type
 * conflict or a point outside the retention; InfluxDB 2.x answers those with 422 ("unprocessable
 * entity ... partial write"), and retrying a 422 as if it were a refusal by configuration would
 * block the batch forever. 413: the batch is too large.
 */
const REJECTED_STATUSES: ReadonlySet<number> = new Set([400, 413, 422])
const isRejection = (err: unknown): err is PipelineError => {
  const status = statusOf(err)
  return status !== undefined && REJECTED_STATUSES.has(status)
}

function outcomeOf(err: unknown): Exclude<WriteOutcome, 'ok'> {
  if (isRejection(err)) return 'rejected'
  const status = statusOf(err)
  if (status === undefined) return 'unavailable'
  if (status === 429) return 'throttled'
  return status >= 500 ? 'server_error' : 'refused'
}

/**
 * Batches points into InfluxDB requests by size and by time, retries failures forever (an
 * outage makes storage lag, never drop) and bisects a rejected batch down to the points that
 * can never be written, so one bad point does not block the others.
 */
export function createInfluxWriter<S>(options: InfluxWriterOptions<S>): InfluxWriter<S> {
  const { clock, maxPoints, maxWaitMs, observer } = options
  const log = options.logger.child({ component: 'storage.writer' })
  const closing = new AbortController()
  let buffer: PendingPoint<S>[] = []
  let waiters: Waiter[] = []
  let timer: AbortController | undefined
  let chain: Promise<void> = Promise.resolve()
  let oldestMs = Number.POSITIVE_INFINITY

  /**
   * The wait counts from when the oldest buffered point entered the pipeline, not from when it
   * reached the writer: records that queued in the consumer while the previous batch was being
   * written have waited already, and must not wait a full maxWaitMs again.
   */
  function armTimer(enqueuedAtMs: number): void {
    if (timer && enqueuedAtMs >= oldestMs) return
    timer?.abort()
    oldestMs = Math.min(oldestMs, enqueuedAtMs)
    const delayMs = Math.min(maxWaitMs, Math.max(0, oldestMs + maxWaitMs - clock.now()))
    if (delayMs === 0) {
      void flushNow()
      return
    }
    const current = new AbortController()
    timer = current
    clock.sleep(delayMs, current.signal).then(
      () => {
        if (timer === current) void flushNow()
      },
      () => undefined,
    )
  }

  /** Takes the whole buffer and queues its write behind earlier ones; never rejects. */
  function flushNow(): Promise<void> {
    timer?.abort()
    timer = undefined
    oldestMs = Number.POSITIVE_INFINITY
    const entries = buffer
    const batchWaiters = waiters
    buffer = []
    waiters = []
    chain = chain.then(async () => {
      try {
        for (let i = 0; i < entries.length; i += maxPoints) {
          await writeOrBisect(entries.slice(i, i + maxPoints))
        }
        for (const waiter of batchWaiters) waiter.resolve()
      } catch (err) {
        for (const waiter of batchWaiters) waiter.reject(err)
      }
    })
    return chain
  }

  async function writeOrBisect(entries: PendingPoint<S>[]): Promise<void> {
    const rejected: Array<{ entry: PendingPoint<S>; error: PipelineError }> = []
    async function step(part: PendingPoint<S>[]): Promise<void> {
      const error = await writeWithRetry(part)
      if (!error) return
      const [single] = part
      if (part.length === 1 && single) {
        rejected.push({ entry: single, error })
        return
      }
      // InfluxDB 1.x writes the good points of a rejected request anyway ("partial write");
      // writing them again is harmless, since a point with the same identity is overwritten.
      const middle = Math.ceil(part.length / 2)
      await step(part.slice(0, middle))
      await step(part.slice(middle))
    }
    await step(entries)
    if (rejected.length > 0) {
      log.warn(
        { points: rejected.length, batch: entries.length, err: rejected[0]?.error },
        'InfluxDB refused points; sending their records to the DLQ',
      )
      await options.onRejected(rejected)
    }
  }

  /** Resolves undefined once written, or with the error when InfluxDB refuses the data itself. */
  async function writeWithRetry(entries: PendingPoint<S>[]): Promise<PipelineError | undefined> {
    const lines = entries.map((e) => e.line)
    try {
      await keepTrying(
        async () => {
          const started = clock.now()
          try {
            await options.influx.write(lines)
          } catch (err) {
            observer?.request?.(outcomeOf(err), lines.length, clock.now() - started)
            throw err
          }
          observer?.request?.('ok', lines.length, clock.now() - started)
        },
        {
          minDelayMs: options.retry.minDelayMs,
          maxDelayMs: options.retry.maxDelayMs,
          clock,
          signal: closing.signal,
          random: options.random,
          // 401/403/404 wait for an operator (credentials, a dropped database) rather than
          // dropping data; only a programmer error escapes.
          shouldRetry: (err) => err instanceof PipelineError && !isRejection(err),
          onRetry: (err, attempt, delayMs) => {
            const reason = outcomeOf(err) as Exclude<WriteOutcome, 'ok' | 'rejected'>
            observer?.retrying?.(reason, err, attempt, delayMs)
            log.warn(
              { err, reason, attempt, delayMs, points: lines.length },
              'InfluxDB write failed; retrying',
            )
          },
        },
      )
    } catch (err) {
      if (isRejection(err)) return err
      throw err
    }
    observer?.written?.(entries)
    return undefined
  }

  return {
    write(entries, enqueuedAtMs) {
      if (closing.signal.aborted) {
        return Promise.reject(new PipelineError('RETRY_ABORTED', 'the InfluxDB writer is closed'))
      }
      if (entries.length === 0) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        for (const entry of entries) buffer.push(entry)
        waiters.push({ resolve, reject })
        if (buffer.length >= maxPoints) void flushNow()
        else armTimer(Math.min(enqueuedAtMs ?? clock.now(), clock.now()))
      })
    },
    flush: () => flushNow(),
    buffered: () => buffer.length,
    async close() {
      if (closing.signal.aborted) return chain
      const flushed = flushNow()
      closing.abort(
        new PipelineError('RETRY_ABORTED', 'storage is stopping; the batch will be consumed again'),
      )
      await flushed
    },
  }
}
