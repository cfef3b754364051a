import type { OutgoingRecord } from '../../core/kafka/records.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { encodeStoredState, offsetKey, type StoredState } from './state-store.js'

/**
 * Partition clocks survive a restart as records of their own on alerts.state.v1, keyed
 * `@clock.<groupId>.<topic>/<partition>` ('@' is not allowed in device ids) and stored under
 * their partition, so the member that owns the partition after a restart or rebalance reads its
 * clock back and still sees an ingress gap that spans the restart (ADR 0016). Keyed by group: a
 * clock is a fact about what this group has read, never about another group's replay.
 */
const PREFIX = '@clock.'

export const isClockKey = (key: string): boolean => key.startsWith(PREFIX)

/** A clock moves every second (heartbeats); writing it once per second of clock is enough to see a gap. */
const STORE_EVERY_MS = 1_000

export interface ClockStore {
  /** The clock records to write with this batch, for partitions whose clock moved far enough. */
  due(moved: Iterable<[partition: string, clockMs: number]>): OutgoingRecord[]
  /** Clocks this group stored, from the state read at an assignment (only owned partitions). */
  restore(latest: ReadonlyMap<string, StoredState>, owned: ReadonlySet<string>): Map<string, number>
}

export function createClockStore(groupId: string): ClockStore {
  const stored = new Map<string, number>()
  const keyOf = (at: string): string => `${PREFIX}${groupId}.${at}`
  return {
    due(moved) {
      const out: OutgoingRecord[] = []
      for (const [at, clockMs] of moved) {
        if (clockMs - (stored.get(at) ?? Number.NEGATIVE_INFINITY) < STORE_EVERY_MS) continue
        stored.set(at, clockMs)
        const slash = at.lastIndexOf('/')
        const state: StoredState = {
          offsets: {},
          partitions: { [at.slice(0, slash)]: Number(at.slice(slash + 1)) },
          engine: Buffer.from(JSON.stringify({ clockMs })),
        }
        out.push({ topic: CHANNELS.alertState, key: keyOf(at), value: encodeStoredState(state) })
      }
      return out
    },
    restore(latest, owned) {
      stored.clear()
      const clocks = new Map<string, number>()
      for (const [key, state] of latest) {
        if (!key.startsWith(`${PREFIX}${groupId}.`)) continue
        const [topic, partition] = Object.entries(state.partitions)[0] ?? []
        if (topic === undefined || partition === undefined) continue
        const at = offsetKey(topic, partition)
        const clockMs = readClock(state.engine)
        if (!owned.has(at) || clockMs === undefined) continue
        clocks.set(at, clockMs)
        stored.set(at, clockMs)
      }
      return clocks
    },
  }
}

function readClock(bytes: Buffer): number | undefined {
  try {
    const { clockMs } = JSON.parse(bytes.toString('utf8')) as { clockMs?: unknown }
    return typeof clockMs === 'number' && Number.isFinite(clockMs) ? clockMs : undefined
  } catch {
    return undefined
  }
}
