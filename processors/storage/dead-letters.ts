import type { Logger } from 'pino'
import type { Clock } from '../../core/clock.js'
import { isRetriable } from '../../core/errors.js'
import type { KafkaProducer } from '../../core/kafka/producer.js'
import type { KafkaRecord, OutgoingRecord } from '../../core/kafka/records.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { keepTrying } from './keep-trying.js'
import type { StorageRejectReason } from './points.js'

export interface DeadLetter {
  record: KafkaRecord
  reason: StorageRejectReason
  detail: string
}

/**
 * The record as it arrived (raw bytes, original headers, key) plus why storage refused it and
 * where it was read, so it can be inspected and replayed after a fix.
 */
export function deadLetterRecord(letter: DeadLetter): OutgoingRecord {
  const { record } = letter
  const where = `${record.topic}/${record.partition}@${record.offset}`
  return {
    topic: CHANNELS.dlq,
    key: record.key ?? '',
    value: record.value,
    headers: {
      ...record.headers,
      [HEADERS.rejectReason]: letter.reason,
      [HEADERS.rejectDetail]: `storage: ${letter.detail} (${where})`.slice(0, 500),
    },
  }
}

export interface DeadLetterSender {
  /** Resolves once every letter is acknowledged by Kafka (acks=all): only then may offsets move on. */
  send(letters: readonly DeadLetter[]): Promise<void>
}

export interface DeadLetterOptions {
  producer: Pick<KafkaProducer, 'produce'>
  clock: Clock
  logger: Logger
  retry: { minDelayMs: number; maxDelayMs: number }
  /** Aborted when storage stops: a DLQ produce that still fails then leaves its batch uncommitted. */
  signal: AbortSignal
  onSent?(letter: DeadLetter): void
  onRetry?(err: unknown): void
}

export function createDeadLetterSender(options: DeadLetterOptions): DeadLetterSender {
  const log = options.logger.child({ component: 'storage.dlq' })
  async function sendOne(letter: DeadLetter): Promise<void> {
    await keepTrying(() => options.producer.produce(deadLetterRecord(letter)), {
      ...options.retry,
      clock: options.clock,
      signal: options.signal,
      shouldRetry: isRetriable,
      onRetry: (err, attempt, delayMs) => {
        options.onRetry?.(err)
        log.warn({ err, attempt, delayMs }, 'DLQ produce failed; retrying')
      },
    })
    options.onSent?.(letter)
  }
  return {
    async send(letters) {
      await Promise.all(letters.map(sendOne))
    },
  }
}
