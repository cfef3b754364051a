import { decodeAlertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import type { Clock } from '../../core/clock.js'
import { PipelineError, isRetriable } from '../../core/errors.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Logger } from '../../core/log.js'
import { retry } from '../../core/retry.js'
import { dedupeKey } from './alert-json.js'
import type { DeadLetterFile, RecordSource } from './dead-letters.js'
import { filterAccepts, type SinkFilter } from './filter.js'
import type { SinkMetrics } from './metrics.js'
import { createRecentKeys } from './recent-keys.js'
import type { SinkSignals } from './self-watch.js'
import type { DeliveryContext, Sink } from './sink.js'

export interface DeliveryPolicy {
  /** Attempts per transition, the first included; then it is dead-lettered. */
  attempts: number
  /** One attempt may take this long; then it is aborted and counts as a retriable failure. */
  timeoutMs: number
  /** Backoff before the second attempt; doubles per attempt (full jitter), capped at maxDelayMs. */
  initialDelayMs: number
  maxDelayMs: number
}

export interface SinkRunnerOptions {
  name: string
  sink: Sink
  policy: DeliveryPolicy
  deadLetters: Pick<DeadLetterFile, 'write' | 'path'>
  metrics: SinkMetrics
  clock: Clock
  logger: Logger
  /** How many recent dedupe keys are remembered. */
  recentKeys: number
  /** Injected for deterministic backoff in tests; returns [0, 1). */
  random?: () => number
  /** Which transitions the sink takes; the rest is committed past (counted, never retried). */
  filter?: SinkFilter
  /** Told about attempts, deliveries and progress: the self-watch (ADR 0017). */
  signals?: SinkSignals
}

export type DeliveryOutcome = 'delivered' | 'dead-lettered' | 'duplicate' | 'filtered'

export interface SinkRunner {
  readonly name: string
  /** The consumer's batch handler: resolves once every record is delivered or dead-lettered. */
  handle(records: readonly KafkaRecord[]): Promise<void>
  /** One transition through dedupe, timeout, retries and dead-lettering. */
  deliver(event: AlertEvent, source: RecordSource): Promise<DeliveryOutcome>
  /** Feeds a replayed record to a stateful sink's `restore` (nothing is delivered). */
  restore(record: KafkaRecord): void
  /** Delivers an event that is not on the channel (a self-watch alarm) and flushes it. */
  announce(event: AlertEvent): Promise<DeliveryOutcome>
  /** Stops retrying and aborts the attempt in progress; the unfinished batch stays uncommitted. */
  stop(): void
  /** Why the sink is not delivering right now, or undefined. */
  health(): string | undefined
}

/** Thrown out of `handle` when the runner stops mid-batch: the batch is consumed again later. */
export class RunnerStoppedError extends Error {
  constructor(sink: string) {
    super(`sink ${sink} stopped with its batch unfinished; it is redelivered after a restart`)
    this.name = 'RunnerStoppedError'
  }
}

/**
 * Wraps one sink plugin (Telegraf's running_output, Benthos' AsyncWriter): decode, dedupe by
 * (alertId, transition, eventTsMs), per-attempt timeout, retries with full-jitter backoff
 * (core/retry.ts), dead-lettering after N attempts or at once for a permanent failure, metrics.
 * Transitions of a batch are delivered one after another, so a device's alarm sequence keeps
 * its order at the receiver.
 */
export function createSinkRunner(options: SinkRunnerOptions): SinkRunner {
  const { name, sink, policy, metrics, clock } = options
  const log = options.logger.child({ component: 'sink.runner', sink: name })
  const recent = createRecentKeys(options.recentKeys)
  const stopping = new AbortController()
  let failing: string | undefined

  async function attemptOnce(event: AlertEvent, key: string, attempt: number): Promise<void> {
    const attemptAbort = new AbortController()
    const timerAbort = new AbortController()
    const onStop = (): void => attemptAbort.abort(new RunnerStoppedError(name))
    stopping.signal.addEventListener('abort', onStop, { once: true })
    const timedOut = new Promise<never>((_, reject) => {
      clock.sleep(policy.timeoutMs, timerAbort.signal).then(
        () => {
          const err = new PipelineError('SINK_DELIVERY_TIMEOUT', `no answer within ${policy.timeoutMs} ms`, {
            retriable: true,
          })
          attemptAbort.abort(err)
          reject(err)
        },
        () => undefined, // the attempt finished first
      )
    })
    const ctx: DeliveryContext = { attempt, idempotencyKey: key, signal: attemptAbort.signal }
    const startedMs = clock.now()
    try {
      await Promise.race([sink.deliver(event, ctx), timedOut])
      metrics.attemptDuration.observe({ sink: name, outcome: 'ok' }, (clock.now() - startedMs) / 1000)
    } catch (err) {
      metrics.attemptDuration.observe({ sink: name, outcome: 'failed' }, (clock.now() - startedMs) / 1000)
      if (!stopping.signal.aborted) {
        const reason = failureReason(err)
        metrics.failedAttempts.inc({ sink: name, reason })
        options.signals?.attemptFailed(errorMessage(err))
        if (reason !== 'permanent') failing = `delivery failing: ${errorMessage(err)}`
      }
      throw err
    } finally {
      timerAbort.abort()
      stopping.signal.removeEventListener('abort', onStop)
    }
  }

  async function deliver(event: AlertEvent, source: RecordSource): Promise<DeliveryOutcome> {
    if (!filterAccepts(options.filter, event)) {
      metrics.filtered.inc({ sink: name })
      return 'filtered'
    }
    const key = dedupeKey(event)
    if (recent.has(key)) {
      metrics.duplicatesSkipped.inc({ sink: name })
      return 'duplicate'
    }
    let attempts = 0
    try {
      await retry(
        (attempt) => {
          attempts = attempt
          return attemptOnce(event, key, attempt)
        },
        {
          attempts: policy.attempts,
          initialDelayMs: policy.initialDelayMs,
          maxDelayMs: policy.maxDelayMs,
          clock,
          signal: stopping.signal,
          random: options.random,
          shouldRetry: (err) => !stopping.signal.aborted && isRetriable(err),
          onRetry: (err, attempt, delayMs) => {
            metrics.retries.inc({ sink: name })
            log.warn(
              { err: errorMessage(err), alertId: event.alertId, attempt, delayMs },
              'delivery failed; retrying',
            )
          },
        },
      )
    } catch (err) {
      if (stopping.signal.aborted) throw new RunnerStoppedError(name)
      await deadLetter(event, source, attempts, err)
      recent.add(key)
      return 'dead-lettered'
    }
    failing = undefined
    recent.add(key)
    options.signals?.delivered()
    metrics.delivered.inc({ sink: name })
    metrics.deliveryLatency.observe({ sink: name }, Math.max(0, clock.now() - event.emittedTsMs) / 1000)
    return 'delivered'
  }

  async function deadLetter(
    event: AlertEvent,
    source: RecordSource,
    attempts: number,
    err: unknown,
  ): Promise<void> {
    const exhausted = err instanceof PipelineError && err.code === 'RETRY_EXHAUSTED'
    const cause = exhausted ? err.cause : err
    const error = {
      code: cause instanceof PipelineError ? cause.code : 'SINK_DELIVERY_FAILED',
      message: errorMessage(cause),
    }
    await options.deadLetters.write({ event, source, attempts, error, atMs: clock.now() })
    metrics.deadLettered.inc({ sink: name, reason: exhausted ? 'exhausted' : 'permanent' })
    options.signals?.deadLettered()
    log.error(
      {
        alertId: event.alertId,
        transition: event.transition,
        attempts,
        error,
        file: options.deadLetters.path,
      },
      'delivery given up; transition dead-lettered',
    )
  }

  function decode(record: KafkaRecord): AlertEvent | undefined {
    const decoded = decodeAlertEvent(record.value)
    if (decoded.ok) return decoded.value
    metrics.undecodable.inc({ sink: name })
    log.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset, reason: decoded.error },
      'record on the alert channel is not an AlertEvent; skipped',
    )
    return undefined
  }

  return {
    name,
    deliver,
    async handle(records) {
      const positions = new Map<number, number>()
      options.signals?.waiting(records.length)
      for (const record of records) {
        const event = decode(record)
        const source = { topic: record.topic, partition: record.partition, offset: record.offset }
        if (event) await deliver(event, source)
        options.signals?.done()
        positions.set(record.partition, record.offset + 1)
      }
      await sink.flush?.()
      for (const [partition, offset] of positions) {
        metrics.position.set({ sink: name, partition: String(partition) }, offset)
      }
    },
    restore(record) {
      if (!sink.restore) return
      const event = decode(record)
      if (!event) return
      sink.restore(event)
      metrics.restored.inc({ sink: name })
    },
    async announce(event) {
      const outcome = await deliver(event, ANNOUNCED)
      await sink.flush?.()
      return outcome
    },
    stop: () => stopping.abort(new RunnerStoppedError(name)),
    health: () => sink.health?.() ?? failing,
  }
}

/** Where an announced event "was read" in a dead letter: it was never on the channel. */
const ANNOUNCED: RecordSource = { topic: 'self-watch', partition: -1, offset: -1 }

function failureReason(err: unknown): 'timeout' | 'retriable' | 'permanent' {
  if (err instanceof PipelineError && err.code === 'SINK_DELIVERY_TIMEOUT') return 'timeout'
  return isRetriable(err) ? 'retriable' : 'permanent'
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
