import type { KafkaConfig } from '../../core/config/shared.js'
import { endOffsets } from '../../core/kafka/admin.js'
import { createKafkaConsumer } from '../../core/kafka/consumer.js'
import type { Logger } from '../../core/log.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import type { StoredBootWindow } from './dedupe.js'

/**
 * A device's alerting state as stored on the compacted alerts.state.v1 channel: the engine's
 * snapshot plus, per input partition, the offset of the last record it reflects. After a crash
 * the batch in progress is consumed again; records at or below these offsets are already in
 * the state and are skipped, so a replay neither loses nor repeats a transition.
 */
export interface StoredState {
  /**
   * By `offsetKey(topic, partition)`: offsets are only comparable within one partition, and a
   * device whose key moves to another partition (more partitions, another partitioner) must not
   * have its records there skipped as "already replayed" (issue #9 finding 6).
   */
  offsets: Record<string, number>
  /** Input partition of the device per channel: who owns the device after a rebalance. */
  partitions: Record<string, number>
  engine: Buffer
  /** Duplicate-detection windows (dedupe.ts); absent in snapshots written before them. */
  dedupe?: StoredBootWindow[] | undefined
}

/** Kafka topic names cannot contain '/', so this key is unambiguous. */
export const offsetKey = (topic: string, partition: number): string => `${topic}/${partition}`

interface Wire {
  v: 1
  /**
   * Per topic, for readers older than partitionOffsets (a rolling upgrade): the offset on the
   * device's current partition of that topic. Read only when partitionOffsets is absent.
   */
  offsets: Record<string, number>
  partitions?: Record<string, number>
  partitionOffsets?: Record<string, number>
  engine: string
  dedupe?: StoredBootWindow[]
}

export function encodeStoredState(state: StoredState): Buffer {
  const legacy: Record<string, number> = {}
  for (const [topic, partition] of Object.entries(state.partitions)) {
    const offset = state.offsets[offsetKey(topic, partition)]
    if (offset !== undefined) legacy[topic] = offset
  }
  const wire: Wire = {
    v: 1,
    offsets: legacy,
    partitions: state.partitions,
    partitionOffsets: state.offsets,
    engine: state.engine.toString('base64'),
    ...(state.dedupe ? { dedupe: state.dedupe } : {}),
  }
  return Buffer.from(JSON.stringify(wire))
}

const isOffsets = (x: unknown): x is Record<string, number> =>
  typeof x === 'object' && x !== null && Object.values(x).every((v) => typeof v === 'number')

const isWindows = (x: unknown): x is StoredBootWindow[] =>
  Array.isArray(x) &&
  x.every(
    (w: Partial<StoredBootWindow> | null) =>
      typeof w?.boot === 'string' &&
      typeof w.high === 'number' &&
      typeof w.w === 'number' &&
      typeof w.bits === 'string',
  )

export function decodeStoredState(bytes: Buffer): StoredState | undefined {
  try {
    const wire = JSON.parse(bytes.toString('utf8')) as Partial<Wire>
    if (wire.v !== 1 || typeof wire.engine !== 'string' || !isOffsets(wire.offsets)) return undefined
    const partitions = isOffsets(wire.partitions) ? wire.partitions : {}
    let offsets: Record<string, number>
    if (isOffsets(wire.partitionOffsets)) offsets = wire.partitionOffsets
    else {
      // An older snapshot: its per-topic offset belongs to the partition it names. Without one,
      // the offset cannot be placed and is dropped: at worst that device's last uncommitted batch
      // is evaluated again, never a later partition's records skipped.
      offsets = {}
      for (const [topic, offset] of Object.entries(wire.offsets)) {
        const partition = partitions[topic]
        if (partition !== undefined) offsets[offsetKey(topic, partition)] = offset
      }
    }
    return {
      offsets,
      partitions,
      engine: Buffer.from(wire.engine, 'base64'),
      dedupe: isWindows(wire.dedupe) ? wire.dedupe : undefined,
    }
  } catch {
    return undefined
  }
}

/** What a restore read, for the log line that times it (restore time gates a member's take-over). */
export interface StateReadStats {
  records: number
  bytes: number
  keys: number
  ms: number
}

/**
 * The latest record per key, decoded once at the end. The channel holds every state written
 * since its last compaction (one per device per batch, for up to segment.ms plus the cleaner's
 * dirty ratio), so decoding each record as it comes (JSON and a base64 snapshot) costs far more
 * than reading it; only the last one per key is ever used. A tombstone or an unreadable latest
 * record leaves the key out (that device starts afresh), as reading them in order would.
 */
export function createStateCollector(): {
  add(key: string | undefined, value: Buffer): void
  result(): Map<string, StoredState>
  stats(): Omit<StateReadStats, 'ms'>
} {
  const latest = new Map<string, Buffer>()
  let records = 0
  let bytes = 0
  return {
    add(key, value) {
      records++
      bytes += value.length
      if (key) latest.set(key, value)
    },
    result() {
      const states = new Map<string, StoredState>()
      for (const [key, value] of latest) {
        const state = value.length === 0 ? undefined : decodeStoredState(value)
        if (state) states.set(key, state)
      }
      return states
    },
    stats: () => ({ records, bytes, keys: latest.size }),
  }
}

/**
 * Reads the state channel from the beginning to its current end: the latest state of every
 * device. Run at start and again after a rebalance, before records are evaluated.
 */
export async function loadStates(
  kafka: KafkaConfig,
  groupId: string,
  logger: Logger,
  /** Stops the read (a newer assignment needs another one); the promise then rejects with its reason. */
  signal?: AbortSignal,
): Promise<Map<string, StoredState>> {
  const log = logger.child({ component: 'alerting.state-reader' })
  const started = Date.now()
  // The high watermark, not the last stable offset endOffsets answers by default: while a killed
  // member's transaction is open, the last stable offset sits at its first record, and a read
  // that stopped there missed every state the survivors committed after it. They then restored
  // those devices as they were before the kill (or not at all), resumed from later offsets and
  // lost clears and reused alert ids (fault row 5, docs/operations.md).
  const ends = await endOffsets(kafka, CHANNELS.alertState, 10_000, 'open-transactions')
  const collector = createStateCollector()
  const remaining = new Map(ends.filter((e) => e.offset > 0).map((e) => [e.partition, e.offset]))
  if (remaining.size === 0) return new Map()
  let resolveDone: () => void = () => undefined
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const held = new Set<number>()
  const reader = createKafkaConsumer({
    kafka,
    groupId: `${groupId}-state-reader`,
    clientId: `${groupId}-state-reader`,
    topics: [CHANNELS.alertState],
    assign: ends.map(({ topic, partition }) => ({ topic, partition, offset: 0 })),
    logger,
    handler: (batch) => {
      for (const record of batch) collector.add(record.key, record.value)
      return Promise.resolve()
    },
    // The end, not the last record: the state is written in transactions, so the last offsets
    // are commit markers that a reader never sees as records. And the end as it was when the
    // read began, open transactions included: a read_committed reader also reports an end at an
    // open transaction (a killed member's, open until the broker aborts it after
    // transaction.timeout.ms plus its cleanup interval), and stopping there would miss the
    // states the other members committed after it.
    onPartitionEnd: ({ partition, offset }) => {
      const target = remaining.get(partition)
      if (target === undefined) return
      if (offset < target) {
        // Said once per partition: the wait for a dead member's transaction to be aborted is
        // part of the take-over time (transaction.timeout.ms plus the broker's cleanup interval).
        if (!held.has(partition))
          log.info(
            { partition, offset, end: target, waitedMs: Date.now() - started },
            'alert state read held at an open transaction; waiting for it to end',
          )
        held.add(partition)
        return
      }
      remaining.delete(partition)
      if (remaining.size === 0) resolveDone()
    },
  })
  const stopped = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve()
    signal?.addEventListener('abort', () => resolve(), { once: true })
  })
  await reader.start()
  await Promise.race([done, stopped])
  await reader.stop()
  signal?.throwIfAborted()
  const states = collector.result()
  log.info({ ...collector.stats(), states: states.size, ms: Date.now() - started }, 'alert state read')
  return states
}
