import type { KafkaConfig } from '../../core/config/shared.js'
import { PipelineError } from '../../core/errors.js'
import { endOffsets } from '../../core/kafka/admin.js'
import { Kafka, baseRdConfig, withOverrides } from '../../core/kafka/rdkafka.js'
import { retry } from '../../core/retry.js'

const COORDINATOR_NOT_READY = /coordinator load in progress|not coordinator|coordinator not available/i

/**
 * Gives a new consumer group committed offsets at the current end of its topics, before any
 * member exists. Its processors then start exactly "from now", however long they take to join:
 * nothing produced meanwhile is skipped (as 'latest' would) and no history is replayed (as
 * 'earliest' would, from channels other runs share).
 */
export async function startGroupAtEnd(
  kafka: KafkaConfig,
  groupId: string,
  topics: readonly string[],
): Promise<void> {
  const offsets = (await Promise.all(topics.map((topic) => endOffsets(kafka, topic)))).flat()
  if (offsets.length === 0) return
  const client = new Kafka.KafkaConsumer(
    withOverrides(
      { ...baseRdConfig(kafka, `${groupId}-init`), 'group.id': groupId, 'enable.auto.commit': false },
      kafka.librdkafka,
    ),
    {},
  )
  await new Promise<void>((resolve, reject) =>
    client.connect({ timeout: 10_000 }, (err) =>
      err
        ? reject(
            new PipelineError('KAFKA_CONNECT_FAILED', `no metadata from ${kafka.brokers}`, { cause: err }),
          )
        : resolve(),
    ),
  )
  try {
    // A commit with explicit offsets needs no membership: it goes straight to the group coordinator.
    // On a fresh broker the coordinator is still loading __consumer_offsets for a few seconds
    // ("Coordinator load in progress", "Not coordinator"): those are waited out, others are not.
    await retry(
      () => {
        try {
          client.commitSync(offsets)
          return Promise.resolve()
        } catch (err) {
          return Promise.reject(
            new PipelineError('KAFKA_COMMIT_FAILED', `cannot set the start offsets of group ${groupId}`, {
              cause: err,
              retriable: COORDINATOR_NOT_READY.test(String((err as Error | undefined)?.message ?? err)),
            }),
          )
        }
      },
      { attempts: 20, initialDelayMs: 250, maxDelayMs: 2_000 },
    ).catch((err: unknown) => {
      throw err instanceof PipelineError &&
        err.code === 'RETRY_EXHAUSTED' &&
        err.cause instanceof PipelineError
        ? err.cause
        : err
    })
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()))
  }
}
