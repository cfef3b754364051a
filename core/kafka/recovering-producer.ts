import type { Logger } from 'pino'
import { systemClock, type Clock } from '../clock.js'
import { PipelineError } from '../errors.js'
import { retry } from '../retry.js'
import type { KafkaProducer, ProduceOptions } from './producer.js'
import type { DeliveryReport, ProduceRecord } from './records.js'

/** A producer that replaces its client after a fatal error; `unavailable()` feeds /readyz. */
export interface RecoveringProducer extends KafkaProducer {
  /** Why records cannot be produced right now (a replacement is being made), or undefined. */
  unavailable(): string | undefined
}

export interface RecoveringProducerOptions {
  /** Builds a fresh, unstarted producer that calls `onFatal` once it can never deliver again. */
  create: (onFatal: (err: PipelineError) => void) => KafkaProducer
  logger: Logger
  clock?: Clock
  /** Bounded attempts to start the replacement (full-jitter backoff, core/retry.ts), the first after initialDelayMs. */
  retry?: { attempts: number; initialDelayMs: number; maxDelayMs: number }
  /** Counted per fatal error: the replacement started, or every attempt failed. */
  onRecovery?: (outcome: 'recreated' | 'failed') => void
  /** Every attempt failed: the process cannot produce and should stop (runService fatal). */
  onGiveUp?: (err: unknown) => void
}

export const RECREATING = 'producer fatal error: recreating the producer'
export const GAVE_UP = 'producer fatal error: recreating the producer failed'

/**
 * Issue #10, finding 7: a fatal librdkafka error (an idempotent producer fenced, a broken
 * sequence) leaves a client that fails every record for ever. While it is replaced, the gateway
 * is not ready and produce() fails fast, so no PUBACK goes out for a record not in Kafka; the
 * records the old client held were failed with it and are resent by their devices.
 */
export function createRecoveringProducer(options: RecoveringProducerOptions): RecoveringProducer {
  const log = options.logger.child({ component: 'kafka.recovering-producer' })
  const clock = options.clock ?? systemClock
  const policy = options.retry ?? { attempts: 8, initialDelayMs: 500, maxDelayMs: 10_000 }
  const abort = new AbortController()
  let generation = 0
  let current = options.create(fatalHandler(0))
  let reason: string | undefined
  let recovery: Promise<void> | undefined
  let stopped = false

  function fatalHandler(forGeneration: number): (err: PipelineError) => void {
    return (err) => {
      // Only the live client's first fatal counts; a stopping service does not replace anything.
      if (forGeneration !== generation || recovery || stopped) return
      reason = RECREATING
      recovery = recover(err).finally(() => (recovery = undefined))
    }
  }

  async function recover(cause: PipelineError): Promise<void> {
    log.warn({ err: cause }, 'replacing the kafka producer after a fatal error; not ready meanwhile')
    await current.stop().catch((err: unknown) => log.warn({ err }, 'stopping the failed producer failed'))
    const next = generation + 1
    if (stopped) return
    try {
      // Waited before the first attempt too: a cluster that fences every new producer at once
      // is retried with backoff, not in a tight loop.
      await clock.sleep(policy.initialDelayMs, abort.signal)
      const replacement = await retry(
        async () => {
          const candidate = options.create(fatalHandler(next))
          try {
            await candidate.start()
          } catch (err) {
            await candidate.stop().catch(() => undefined)
            throw err
          }
          return candidate
        },
        {
          ...policy,
          clock,
          signal: abort.signal,
          onRetry: (err, attempt, delayMs) =>
            log.warn({ err, attempt, delayMs }, 'new kafka producer did not start; retrying'),
        },
      )
      current = replacement
      generation = next
      reason = undefined
      options.onRecovery?.('recreated')
      log.warn('kafka producer recreated; ready again')
    } catch (err) {
      if (stopped) return
      reason = GAVE_UP
      options.onRecovery?.('failed')
      options.onGiveUp?.(err)
    }
  }

  function produce(record: ProduceRecord, produceOptions?: ProduceOptions): Promise<DeliveryReport> {
    if (reason) {
      return Promise.reject(new PipelineError('KAFKA_NOT_CONNECTED', reason, { retriable: true }))
    }
    return current.produce(record, produceOptions)
  }

  return {
    name: current.name,
    produce,
    unavailable: () => reason,
    inFlight: () => current.inFlight(),
    waiting: () => current.waiting(),
    ping: (timeoutMs) => (reason ? Promise.resolve(false) : current.ping(timeoutMs)),
    flush: (timeoutMs) => current.flush(timeoutMs),
    start: () => current.start(),
    async stop() {
      stopped = true
      abort.abort(new Error('stopping'))
      await recovery
      await current.stop()
    },
  }
}
