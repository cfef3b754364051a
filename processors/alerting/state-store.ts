import type { KafkaConfig } from '../../core/config/shared.js'
import { endOffsets } from '../../core/kafka/admin.js'
import { createKafkaConsumer } from '../../core/kafka/consumer.js'
import type { Logger } from '../../core/log.js'
import { CHANNELS } from '../../core/telemetry/topics.js'

/**
 * A device's alerting state as stored on the compacted alerts.state.v1 channel: the engine's
 * snapshot plus, per input channel, the offset of the last record it reflects. After a crash
 * the batch in progress is consumed again; records at or below these offsets are already in
 * the state and are skipped, so a replay neither loses nor repeats a transition.
 */
export interface StoredState {
  offsets: Record<string, number>
  /** Input partition of the device per channel: who owns the device after a rebalance. */
  partitions: Record<string, number>
  engine: Buffer
}

interface Wire {
  v: 1
  offsets: Record<string, number>
  partitions?: Record<string, number>
  engine: string
}

export function encodeStoredState(state: StoredState): Buffer {
  const wire: Wire = {
    v: 1,
    offsets: state.offsets,
    partitions: state.partitions,
    engine: state.engine.toString('base64'),
  }
  return Buffer.from(JSON.stringify(wire))
}

export function decodeStoredState(bytes: Buffer): StoredState | undefined {
  try {
    const wire = JSON.parse(bytes.toString('utf8')) as Partial<Wire>
    if (wire.v !== 1 || typeof wire.engine !== 'string' || typeof wire.offsets !== 'object' || !wire.offsets)
      return undefined
    return {
      offsets: wire.offsets,
      partitions: wire.partitions ?? {},
      engine: Buffer.from(wire.engine, 'base64'),
    }
  } catch {
    return undefined
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
): Promise<Map<string, StoredState>> {
  const ends = await endOffsets(kafka, CHANNELS.alertState)
  const states = new Map<string, StoredState>()
  const remaining = new Map(ends.filter((e) => e.offset > 0).map((e) => [e.partition, e.offset]))
  if (remaining.size === 0) return states
  let resolveDone: () => void = () => undefined
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  const reader = createKafkaConsumer({
    kafka,
    groupId: `${groupId}-state-reader`,
    clientId: `${groupId}-state-reader`,
    topics: [CHANNELS.alertState],
    assign: ends.map(({ topic, partition }) => ({ topic, partition, offset: 0 })),
    logger,
    handler: (batch) => {
      for (const record of batch) {
        if (!record.key) continue
        const state = record.value.length === 0 ? undefined : decodeStoredState(record.value)
        if (state) states.set(record.key, state)
        else states.delete(record.key) // tombstone or unreadable: start that device afresh
      }
      return Promise.resolve()
    },
    // The end, not the last record: the state is written in transactions, so the last offsets
    // are commit markers that a reader never sees as records. And the end as it was when the
    // read began: a read_committed reader also reports an end at an open transaction (a killed
    // member's, open until it times out), and stopping there would miss the states the other
    // members committed after it.
    onPartitionEnd: ({ partition, offset }) => {
      if (offset < (remaining.get(partition) ?? 0)) return
      remaining.delete(partition)
      if (remaining.size === 0) resolveDone()
    },
  })
  await reader.start()
  await done
  await reader.stop()
  return states
}
