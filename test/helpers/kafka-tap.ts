import type { KafkaConfig } from '../../core/config/shared.js'
import { endOffsets } from '../../core/kafka/admin.js'
import { createKafkaConsumer } from '../../core/kafka/consumer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { silentLogger, unique } from './services.js'

export interface Tap {
  records: KafkaRecord[]
  /** Records whose key is one of these devices. */
  forKeys(keys: Iterable<string>): KafkaRecord[]
  stop(): Promise<void>
}

/**
 * Reads channels from their current end onwards ("everything produced after this call"), so
 * tests sharing the local stack's channels only see their own records.
 */
export async function tapChannels(kafka: KafkaConfig, topics: readonly string[]): Promise<Tap> {
  const assign = (await Promise.all(topics.map((topic) => endOffsets(kafka, topic)))).flat()
  const records: KafkaRecord[] = []
  const groupId = unique('it-tap')
  const consumer = createKafkaConsumer({
    kafka,
    groupId,
    clientId: groupId,
    topics,
    assign,
    logger: silentLogger,
    handler: (batch) => {
      records.push(...batch)
      return Promise.resolve()
    },
  })
  await consumer.start()
  return {
    records,
    forKeys(keys) {
      const wanted = new Set(keys)
      return records.filter((r) => r.key !== undefined && wanted.has(r.key))
    },
    stop: () => consumer.stop(),
  }
}
