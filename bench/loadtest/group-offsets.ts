import type { KafkaConfig } from '../../core/config/shared.js'
import { PipelineError } from '../../core/errors.js'
import { endOffsets } from '../../core/kafka/admin.js'
import { Kafka, baseRdConfig, withOverrides } from '../../core/kafka/rdkafka.js'

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
    client.commitSync(offsets)
  } catch (err) {
    throw new PipelineError('KAFKA_COMMIT_FAILED', `cannot set the start offsets of group ${groupId}`, {
      cause: err,
    })
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()))
  }
}
