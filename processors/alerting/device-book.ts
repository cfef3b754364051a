import type { KafkaRecord } from '../../core/kafka/records.js'
import type { Logger } from '../../core/log.js'
import type { Dedupe } from './dedupe.js'
import type { AlertEngine } from './engine/engine.js'
import type { AlertingMetrics } from './metrics.js'
import { offsetKey, type StoredState } from './state-store.js'

/**
 * What the pipeline knows of each device besides its engine state: the stored state it was
 * restored from, the offset of its last record per input partition (what a written state
 * reflects) and the partition it reads per channel (who owns it after a rebalance).
 */
export interface DeviceBook {
  /** A new assignment: the latest stored states, nothing restored yet. */
  reset(latest: Map<string, StoredState>): void
  /** Puts the device's stored state into the engine (once per assignment). */
  restore(deviceId: string): void
  /** Before one of the device's records is evaluated: restored, its partition noted; its offsets (mutable). */
  seen(deviceId: string, record: KafkaRecord): Record<string, number>
  /** The device's input partitions ("topic/partition"). */
  partitionsOf(deviceId: string): string[]
  /** The state record of the device now (kept as its latest stored state). */
  stored(deviceId: string, snapshot: Buffer): StoredState
  /** Keeps a state written for another key (the monitoring subject). */
  keep(key: string, stored: StoredState): void
}

export function createDeviceBook(deps: {
  engine: () => AlertEngine
  dedupe: Dedupe
  metrics: AlertingMetrics
  log: Logger
}): DeviceBook {
  let states = new Map<string, StoredState>()
  const restored = new Set<string>()
  const offsets = new Map<string, Record<string, number>>()
  const partitions = new Map<string, Record<string, number>>()

  function restore(deviceId: string): void {
    restored.add(deviceId)
    const stored = states.get(deviceId)
    if (!stored) return
    try {
      deps.engine().restore(deviceId, stored.engine)
      offsets.set(deviceId, { ...stored.offsets })
      partitions.set(deviceId, { ...stored.partitions })
      if (stored.dedupe) deps.dedupe.import(deviceId, stored.dedupe)
      deps.metrics.stateRestored.inc()
    } catch (err) {
      // An unreadable snapshot costs that device its open episodes, not the processor.
      deps.log.warn({ err, deviceId }, 'stored alert state unreadable; starting the device afresh')
    }
  }

  return {
    reset(latest) {
      states = latest
      restored.clear()
      offsets.clear()
      partitions.clear()
    },
    restore,
    seen(deviceId, record) {
      if (!restored.has(deviceId)) restore(deviceId)
      let deviceOffsets = offsets.get(deviceId)
      if (!deviceOffsets) offsets.set(deviceId, (deviceOffsets = {}))
      let devicePartitions = partitions.get(deviceId)
      if (!devicePartitions) partitions.set(deviceId, (devicePartitions = {}))
      devicePartitions[record.topic] = record.partition
      return deviceOffsets
    },
    partitionsOf: (deviceId) =>
      Object.entries(partitions.get(deviceId) ?? {}).map(([topic, p]) => offsetKey(topic, p)),
    stored(deviceId, snapshot) {
      const stored: StoredState = {
        offsets: { ...(offsets.get(deviceId) ?? {}) },
        partitions: { ...(partitions.get(deviceId) ?? {}) },
        engine: snapshot,
        dedupe: deps.dedupe.export(deviceId),
      }
      states.set(deviceId, stored)
      return stored
    },
    keep: (key, stored) => void states.set(key, stored),
  }
}
