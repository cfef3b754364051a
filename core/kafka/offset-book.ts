import type { TopicPartition } from './consumer-port.js'

type Offset = TopicPartition & { offset: number }

const keyOf = (topic: string, partition: number): string => `${topic}/${partition}`

/**
 * A consumer's offsets: what the handler finished (next offset to commit) and what the broker
 * confirmed, per partition. Kept apart from the fetch loop so the rebalance rules stay readable.
 */
export interface OffsetBook {
  /** The handler finished these records; never moves a partition backwards. */
  processed(records: ReadonlyArray<{ topic: string; partition: number; offset: number }>): void
  /** Processed offsets the broker has not confirmed, limited to `partitions` when given. */
  uncommitted(partitions?: readonly TopicPartition[]): Offset[]
  committed(offsets: readonly Offset[]): void
  /**
   * The partitions left this member (a revoke): what it finished there was committed on the way
   * out, and nothing it still finishes later is committed over the new owner's progress.
   */
  forget(partitions: readonly TopicPartition[]): void
  committedOffsets(): ReadonlyMap<string, number>
  /** Next offset after what the handler finished, per "topic/partition" (the lag gauge's position). */
  processedOffsets(): ReadonlyMap<string, number>
}

export function createOffsetBook(): OffsetBook {
  const done = new Map<string, number>()
  const confirmed = new Map<string, number>()
  return {
    processed(records) {
      for (const r of records) {
        const key = keyOf(r.topic, r.partition)
        done.set(key, Math.max(done.get(key) ?? 0, r.offset + 1))
      }
    },
    uncommitted(partitions) {
      return [...done.entries()]
        .map(([key, offset]) => {
          const slash = key.lastIndexOf('/')
          return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), offset }
        })
        .filter((tp) => confirmed.get(keyOf(tp.topic, tp.partition)) !== tp.offset)
        .filter(
          (tp) => !partitions || partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition),
        )
    },
    committed(offsets) {
      for (const tp of offsets) if (tp.offset >= 0) confirmed.set(keyOf(tp.topic, tp.partition), tp.offset)
    },
    forget(partitions) {
      for (const tp of partitions) done.delete(keyOf(tp.topic, tp.partition))
    },
    committedOffsets: () => confirmed,
    processedOffsets: () => done,
  }
}
