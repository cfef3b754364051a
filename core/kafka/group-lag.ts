import type { KafkaConfig } from '../config/shared.js'
import { committedOffsets, endOffsets } from './admin.js'

/** One partition of a group: its committed offset against the partition's end. */
export interface PartitionLag {
  group: string
  topic: string
  partition: number
  /** Next offset the group will read (its last commit). */
  committed: number
  /** High watermark: the offset the next record written there gets. */
  end: number
  lag: number
}

/**
 * Lag of consumer groups from outside any member (`pulsewire stack status`): the committed
 * offsets (OffsetFetch, by a client that never joins) against the end offsets (ListOffsets).
 * Partitions a group never committed are left out. Unlike the in-process gauge, this counts
 * from the commit, so a transaction's commit marker after the last record reads as lag 1 on
 * channels written in transactions (alerts.events.v1).
 */
export async function groupLag(
  kafka: KafkaConfig,
  groups: readonly string[],
  topics: readonly string[],
  timeoutMs = 10_000,
): Promise<PartitionLag[]> {
  const ends = (await Promise.all(topics.map((topic) => endOffsets(kafka, topic, timeoutMs)))).flat()
  const endOf = new Map(ends.map((e) => [`${e.topic}/${e.partition}`, e.offset]))
  const rows: PartitionLag[] = []
  for (const group of groups) {
    for (const { topic, partition, offset } of await committedOffsets(kafka, group, ends, timeoutMs)) {
      const end = endOf.get(`${topic}/${partition}`) ?? offset
      rows.push({ group, topic, partition, committed: offset, end, lag: Math.max(0, end - offset) })
    }
  }
  return rows.sort(
    (a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition,
  )
}
