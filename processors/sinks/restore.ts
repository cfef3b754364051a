import type { KafkaConfig } from '../../core/config/shared.js'
import { committedOffsets, endOffsets } from '../../core/kafka/admin.js'
import { createKafkaConsumer } from '../../core/kafka/consumer.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Logger } from '../../core/log.js'

export interface RestoreOptions {
  kafka: KafkaConfig
  channel: string
  /** The sink's consumer group: the replay stops where it will resume. */
  groupId: string
  /** Where the group starts when it has no commit: then everything before that point is history. */
  fromBeginning: boolean
  logger: Logger
  onRecord(record: KafkaRecord): void
}

/**
 * Replays the channel from its oldest retained record up to the offsets the sink's group has
 * committed (exclusive), so a stateful sink rebuilds what it had delivered before new events
 * arrive. A group with no commit that starts at the end replays everything up to the end.
 * Returns the number of records replayed.
 */
export async function replayUntilCommitted(options: RestoreOptions): Promise<number> {
  const { kafka, channel, groupId, logger } = options
  const ends = await endOffsets(kafka, channel)
  const committed = new Map(
    (await committedOffsets(kafka, groupId, ends)).map(({ partition, offset }) => [partition, offset]),
  )
  const targets = new Map(
    ends
      .map(
        ({ partition, offset }) =>
          [partition, committed.get(partition) ?? (options.fromBeginning ? 0 : offset)] as const,
      )
      .filter(([, target]) => target > 0),
  )
  if (targets.size === 0) return 0
  const remaining = new Set(targets.keys())
  let replayed = 0
  let finish: () => void = () => undefined
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const partitionDone = (partition: number): void => {
    remaining.delete(partition)
    if (remaining.size === 0) finish()
  }
  const reader = createKafkaConsumer({
    kafka,
    groupId: `${groupId}-restore`,
    clientId: `${groupId}-restore`,
    topics: [channel],
    // From offset 0: a retention-deleted start resets to the oldest retained record (earliest).
    assign: [...targets.keys()].map((partition) => ({ topic: channel, partition, offset: 0 })),
    logger,
    handler: (batch) => {
      for (const record of batch) {
        const target = targets.get(record.partition) ?? 0
        if (record.offset < target) {
          options.onRecord(record)
          replayed++
        }
        // The record before the target may be a transaction marker that is never delivered:
        // reaching target - 1 or beyond, or the partition's end, completes the partition.
        if (record.offset >= target - 1) partitionDone(record.partition)
      }
      return Promise.resolve()
    },
    onPartitionEnd: ({ partition }) => partitionDone(partition),
  })
  await reader.start()
  try {
    await finished
  } finally {
    await reader.stop()
  }
  return replayed
}
