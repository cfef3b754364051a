/**
 * Which devices' alarm state is newer in memory than on alerts.state.v1, and so how far each
 * input partition's consumer offset may be committed (ADR 0006, revision of 2026-12-03).
 *
 * A device whose state changed without a transition is not written at once: it is *dirty* from
 * the start of the batch that changed it, on every partition it reads. The offset committed for a
 * partition never passes the earliest such start, so after a crash the partition is read again
 * from there: records the stored states reflect are skipped by their per-device offsets, and the
 * rest are evaluated again, in the same order, into the same state. A transition always writes
 * its device (so none not yet stored can have been emitted), and a device dirty for maxDirtyMs
 * is written too, which bounds what a crash re-reads. Pure: times and offsets come from the caller.
 */

/** A point in a partition: the next offset to read there, and the partition clock at it. */
export interface Position {
  offset: number
  /** The partition's gateway clock before that offset (partition-clocks.ts); undefined: not known yet. */
  clockMs: number | undefined
}

export interface DirtyStates {
  /** A batch is about to be evaluated: where it starts on each of its partitions ("topic/partition"). */
  begin(starts: ReadonlyMap<string, Position>): void
  /**
   * The device's state changed in this batch and is not written with it: dirty (since nowMs, if
   * it was not already) from this batch's start on each of the given partitions it reads.
   */
  mark(deviceId: string, partitions: Iterable<string>, nowMs: number): void
  /** The device's state is being written: it no longer holds any commit back. */
  saved(deviceId: string): void
  /** Devices dirty for maxDirtyMs or longer at nowMs. */
  due(nowMs: number): string[]
  /** Every dirty device. */
  dirty(): string[]
  size(): number
  /** How far the partition may be committed: `end` (the batch's end), unless a dirty device's start is earlier. */
  committable(partition: string, end: Position): Position
  /** The batch was committed: where each of its partitions now continues. */
  end(ends: ReadonlyMap<string, Position>): void
  /** Where every partition read since the last clear() continues (their last batch's end). */
  positions(): ReadonlyMap<string, Position>
  /** A new assignment: what was dirty is read again from the committed offsets. */
  clear(): void
}

/** A start not known yet: the device reads a partition this member has not read since its assignment. */
const PENDING = null

export function createDirtyStates(options: { maxDirtyMs: number }): DirtyStates {
  /** Per dirty device: since when, and from where on each of its partitions. */
  const devices = new Map<string, { sinceMs: number; from: Map<string, Position | null> }>()
  /** The same starts by partition, for the commit limit. */
  const byPartition = new Map<string, Map<string, Position | null>>()
  const continues = new Map<string, Position>()
  let starts: ReadonlyMap<string, Position> = new Map()

  const holders = (partition: string): Map<string, Position | null> => {
    let held = byPartition.get(partition)
    if (!held) byPartition.set(partition, (held = new Map<string, Position | null>()))
    return held
  }

  return {
    begin(batchStarts) {
      starts = batchStarts
      // The first batch of a partition starts exactly where a device marked pending there left off.
      for (const [partition, start] of batchStarts) {
        const held = byPartition.get(partition)
        if (!held) continue
        for (const [deviceId, from] of held) {
          if (from !== PENDING) continue
          held.set(deviceId, start)
          devices.get(deviceId)?.from.set(partition, start)
        }
      }
    },
    mark(deviceId, partitions, nowMs) {
      let entry = devices.get(deviceId)
      if (!entry)
        devices.set(deviceId, (entry = { sinceMs: nowMs, from: new Map<string, Position | null>() }))
      for (const partition of partitions) {
        if (entry.from.has(partition)) continue // dirty there already, from an earlier point
        const from = starts.get(partition) ?? continues.get(partition) ?? PENDING
        entry.from.set(partition, from)
        holders(partition).set(deviceId, from)
      }
    },
    saved(deviceId) {
      const entry = devices.get(deviceId)
      if (!entry) return
      devices.delete(deviceId)
      for (const partition of entry.from.keys()) byPartition.get(partition)?.delete(deviceId)
    },
    due(nowMs) {
      const out: string[] = []
      for (const [deviceId, { sinceMs }] of devices)
        if (nowMs - sinceMs >= options.maxDirtyMs) out.push(deviceId)
      return out
    },
    dirty: () => [...devices.keys()],
    size: () => devices.size,
    committable(partition, end) {
      let limit = end
      for (const from of byPartition.get(partition)?.values() ?? []) {
        // Pending cannot occur for a partition of the batch (begin resolved it); be safe anyway.
        if (from === PENDING) return starts.get(partition) ?? continues.get(partition) ?? end
        if (from.offset < limit.offset) limit = from
      }
      return limit
    },
    end(ends) {
      for (const [partition, at] of ends) continues.set(partition, at)
      starts = new Map()
    },
    positions: () => continues,
    clear() {
      devices.clear()
      byPartition.clear()
      continues.clear()
      starts = new Map()
    },
  }
}

/** Where a batch starts on each of its partitions, with each partition's clock before it. */
export function batchStarts(
  records: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
  clockOf: (partition: string) => number | undefined,
): Map<string, Position> {
  const starts = new Map<string, Position>()
  for (const r of records) {
    const at = `${r.topic}/${r.partition}`
    const known = starts.get(at)
    if (!known) starts.set(at, { offset: r.offset, clockMs: clockOf(at) })
    else if (r.offset < known.offset) known.offset = r.offset
  }
  return starts
}

/** "topic/partition" (offsetKey) back into its parts; topic names cannot contain '/'. */
export function splitKey(key: string): { topic: string; partition: number } {
  const slash = key.lastIndexOf('/')
  return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)) }
}
