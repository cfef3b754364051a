import type { Clock } from '../../core/clock.js'
import type { Logger } from '../../core/log.js'
import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaRecord, OutgoingRecord } from '../../core/kafka/records.js'
import { decodeTelemetry } from '../../core/telemetry/envelope.js'
import { isHeartbeat } from '../../core/telemetry/heartbeat.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { evaluateCommand } from './command-input.js'
import type { AlertEngine } from './engine/engine.js'
import { createDedupe, evictionReporter, type DedupeLimits } from './dedupe.js'
import type { AlertingMetrics } from './metrics.js'
import {
  createMonitoringWatch,
  isMonitoringSubject,
  isSubjectOf,
  monitoringScope,
} from './monitoring-watch.js'
import { alertEventRecord, observeEmitted } from './output.js'
import { createClockStore, isClockKey } from './clock-store.js'
import { createPartitionClocks } from './partition-clocks.js'
import {
  deviceInfo,
  headerMs,
  lifecycleOf,
  nextOffsets,
  receivedAt,
  type TopicPartition,
} from './record-input.js'
import type { Priority } from './rules/schema-parts.js'
import { encodeStoredState, offsetKey, type StoredState } from './state-store.js'

export type { TopicPartition } from './record-input.js'

/** The channels with a gateway clock (heartbeats on every partition); commands have none. */
const CLOCKED = new Set<string>([CHANNELS.vitals, CHANNELS.environment, CHANNELS.status])

export interface AlertPipelineDeps {
  /** A fresh engine: one per assignment, so devices of revoked partitions leave with them. */
  createEngine: () => AlertEngine
  /**
   * Makes the batch's output and its input offsets durable together (one Kafka transaction):
   * a crash can then neither lose a transition nor emit it twice.
   */
  commit: (records: OutgoingRecord[], offsets: Array<TopicPartition & { offset: number }>) => Promise<void>
  /** Bounds of duplicate detection by (device, boot, seq) (dedupe.ts). */
  dedupe: DedupeLimits
  /** Partition clocks and the monitoring-unavailable alarm (partition-clocks.ts, monitoring-watch.ts). */
  time: {
    groupId: string
    gapMs: number
    stallMs: number
    resumeGraceMs: number
    monitoringPriority: Priority
  }
  metrics: AlertingMetrics
  clock: Clock
  logger: Logger
}

/**
 * consume → evaluate → emit alerts and state → (the consumer commits). Transitions and the state
 * that produced them are both durable in Kafka before the batch's offsets are committed.
 */
export interface AlertPipeline {
  handle(records: KafkaRecord[]): Promise<void>
  /**
   * Emits the escalations that fell due on the alerting clock, with the state that records them,
   * in a transaction of their own (no input offsets): called on a timer, never during handle().
   */
  tick(): Promise<void>
  /**
   * At start and after every rebalance: a new engine holding the stored state of every device
   * on the assigned partitions, so a device that went silent before a restart still raises
   * communication loss, and none of another member's devices does.
   */
  reset(latest: Map<string, StoredState>, assigned: readonly TopicPartition[]): void
}

export function createAlertPipeline(deps: AlertPipelineDeps): AlertPipeline {
  const { metrics, clock } = deps
  const log = deps.logger.child({ component: 'alerting.pipeline' })
  let engine = deps.createEngine()
  let states = new Map<string, StoredState>()
  const restored = new Set<string>()
  const offsets = new Map<string, Record<string, number>>()
  const partitions = new Map<string, Record<string, number>>()
  const clocks = createPartitionClocks(deps.time)
  const clockStore = createClockStore(deps.time.groupId)
  const watch = createMonitoringWatch({ clock, priority: deps.time.monitoringPriority })
  /** The partition the monitoring subject's record is stored under (the lowest owned index). */
  let subjectPartition = 0
  /** Partitions whose clock moved in the batch being handled. */
  const moved = new Set<string>()
  const dedupe = createDedupe(
    deps.dedupe,
    evictionReporter({
      log,
      clock,
      maxDevices: deps.dedupe.maxDevices,
      count: () => metrics.dedupeEvictions.inc(),
    }),
  )

  function restore(deviceId: string): void {
    restored.add(deviceId)
    const stored = states.get(deviceId)
    if (!stored) return
    try {
      engine.restore(deviceId, stored.engine)
      offsets.set(deviceId, { ...stored.offsets })
      partitions.set(deviceId, { ...stored.partitions })
      if (stored.dedupe) dedupe.import(deviceId, stored.dedupe)
      metrics.stateRestored.inc()
    } catch (err) {
      // An unreadable snapshot costs that device its open episodes, not the processor.
      log.warn({ err, deviceId }, 'stored alert state unreadable; starting the device afresh')
    }
  }

  function ensureRestored(deviceId: string, record: KafkaRecord): Record<string, number> {
    if (!restored.has(deviceId)) restore(deviceId)
    let deviceOffsets = offsets.get(deviceId)
    if (!deviceOffsets) offsets.set(deviceId, (deviceOffsets = {}))
    let devicePartitions = partitions.get(deviceId)
    if (!devicePartitions) partitions.set(deviceId, (devicePartitions = {}))
    devicePartitions[record.topic] = record.partition
    return deviceOffsets
  }

  /** Moves the partition's clock; at the end of a gap, what fell due before it, then the restart of its devices' timers. */
  function observeClock(record: KafkaRecord, rxMs: number): AlertEvent[] {
    const at = offsetKey(record.topic, record.partition)
    // A stopping gateway's last heartbeat and its shutdown disconnects carry its grace period.
    const graceMs = headerMs(record, HEADERS.graceMs)
    const { gapFromMs } = clocks.observe(at, rxMs, clock.now(), graceMs)
    moved.add(at)
    if (gapFromMs === undefined) return []
    metrics.clockGaps.inc()
    const devices = clocks.devices(at)
    log.info(
      { partition: at, gapMs: rxMs - gapFromMs, devices: devices.size },
      'partition clock resumed after a gap (ingress was down); silence timers of its devices restart',
    )
    return [
      ...engine.advance(gapFromMs, devices),
      ...engine.resume(devices, { atMs: rxMs, graceMs: deps.time.resumeGraceMs }),
    ]
  }

  function evaluate(record: KafkaRecord): AlertEvent[] {
    if (!CLOCKED.has(record.topic)) return evaluateRecord(record, 0)
    const rxMs = receivedAt(record, () => clock.now())
    const events = observeClock(record, rxMs)
    if (isHeartbeat(record)) {
      metrics.records.inc({ channel: record.topic, outcome: 'heartbeat' })
      return events
    }
    return events.concat(evaluateRecord(record, rxMs))
  }

  function evaluateRecord(record: KafkaRecord, rxMs: number): AlertEvent[] {
    const deviceId = record.key
    if (!deviceId) {
      if (record.topic === CHANNELS.alertCommands)
        metrics.commands.inc({ command: 'unknown', outcome: 'invalid' })
      return []
    }
    const seen = ensureRestored(deviceId, record)
    // Per partition: offsets of two partitions say nothing about each other (a moved device).
    const at = offsetKey(record.topic, record.partition)
    const done = seen[at]
    if (done !== undefined && record.offset <= done) {
      metrics.records.inc({ channel: record.topic, outcome: 'skipped_replayed' })
      return []
    }
    seen[at] = record.offset
    // A command is consumed like telemetry: its offset is in the device's state and in the
    // transaction that writes its transition, so it is applied exactly once.
    if (record.topic === CHANNELS.alertCommands) return evaluateCommand(record, engine, metrics, log)
    const device = deviceInfo(deviceId, record)
    clocks.join(at, deviceId, device.site)
    if (record.topic === CHANNELS.status) {
      metrics.records.inc({ channel: record.topic, outcome: 'evaluated' })
      return lifecycleOf(engine, device, record, rxMs)
    }
    const decoded = decodeTelemetry(record.value)
    if (!decoded.ok) {
      metrics.records.inc({ channel: record.topic, outcome: 'undecodable' })
      return []
    }
    // A resent copy (ADR 0004): never evaluated twice. After the replay check, so a record the
    // state already reflects is "replayed", not a duplicate.
    const verdict = dedupe.check(deviceId, decoded.value.bootId, decoded.value.seq)
    if (verdict === 'duplicate') {
      metrics.records.inc({ channel: record.topic, outcome: 'duplicate' })
      return []
    }
    if (verdict === 'beyond_window') metrics.dedupeBeyondWindow.inc()
    metrics.records.inc({ channel: record.topic, outcome: 'evaluated' })
    return engine.onTelemetry(
      decoded.value,
      {
        ...device,
        deviceType: device.deviceType === 'unspecified' ? decoded.value.deviceType : device.deviceType,
      },
      rxMs,
    )
  }

  async function handle(records: KafkaRecord[]): Promise<void> {
    const started = clock.now()
    const events = records.flatMap(evaluate)
    const movedClocks: Array<[string, number]> = []
    for (const at of moved) {
      const clockMs = clocks.clock(at)
      if (clockMs === undefined) continue
      movedClocks.push([at, clockMs])
      events.push(...engine.advance(clockMs, clocks.devices(at)))
    }
    moved.clear()
    const highest = Math.max(0, ...movedClocks.map(([, ms]) => ms))
    if (highest > 0) metrics.streamTime.set(highest / 1000)
    events.push(...checkMonitoring())
    await emit(events, nextOffsets(records), clockStore.due(movedClocks))
    metrics.batchDuration.observe((clock.now() - started) / 1000)
  }

  /** The monitoring-unavailable alarm from the partitions' quiet time on the alerting clock. */
  function checkMonitoring(): AlertEvent[] {
    const stalled = clocks.stalled(clock.now())
    metrics.stalledPartitions.set(stalled.length)
    return watch.check(stalled, clocks.known().length, clocks.sites(stalled), deps.time.stallMs)
  }

  /** Writes the transitions and the state of every device they changed, with the offsets, in one transaction. */
  async function emit(
    events: AlertEvent[],
    inputOffsets: Array<TopicPartition & { offset: number }>,
    clockRecords: OutgoingRecord[] = [],
  ): Promise<void> {
    const output: OutgoingRecord[] = events.map(alertEventRecord)
    for (const deviceId of engine.takeDirty()) {
      const snapshot = engine.snapshot(deviceId)
      if (!snapshot) continue
      const stored: StoredState = {
        offsets: { ...(offsets.get(deviceId) ?? {}) },
        partitions: { ...(partitions.get(deviceId) ?? {}) },
        engine: snapshot,
        dedupe: dedupe.export(deviceId),
      }
      states.set(deviceId, stored)
      output.push({ topic: CHANNELS.alertState, key: deviceId, value: encodeStoredState(stored) })
    }
    for (const { subject, record } of watch.takeDirty()) {
      // Stored under the status partition whose owner speaks for it: restored by that owner.
      const stored: StoredState = {
        offsets: {},
        partitions: { [CHANNELS.status]: subjectPartition },
        engine: record,
      }
      states.set(subject, stored)
      output.push({ topic: CHANNELS.alertState, key: subject, value: encodeStoredState(stored) })
    }
    output.push(...clockRecords)
    if (output.length === 0 && inputOffsets.length === 0) return
    await deps.commit(output, inputOffsets)
    observeEmitted(metrics, events, clock.now())
  }

  return {
    handle,
    tick: () => emit([...engine.escalate(), ...checkMonitoring()], []),
    reset(latest, assigned) {
      engine = deps.createEngine()
      states = latest
      restored.clear()
      offsets.clear()
      partitions.clear()
      dedupe.clear()
      const owned = new Set(assigned.map((tp) => offsetKey(tp.topic, tp.partition)))
      const clocked = assigned.filter((tp) => CLOCKED.has(tp.topic))
      clocks.assign(
        clocked.map((tp) => offsetKey(tp.topic, tp.partition)),
        clock.now(),
      )
      const { subject, partition } = monitoringScope(deps.time.groupId, clocked)
      subjectPartition = partition
      for (const [at, clockMs] of clockStore.restore(latest, owned)) clocks.restore(at, clockMs)
      const watched = new Map<string, Buffer>()
      for (const [key, stored] of latest) {
        if (!Object.entries(stored.partitions).some(([topic, p]) => owned.has(offsetKey(topic, p)))) continue
        if (isClockKey(key)) continue
        if (isMonitoringSubject(key)) {
          if (isSubjectOf(deps.time.groupId, key)) watched.set(key, stored.engine)
          continue
        }
        restore(key)
        for (const [topic, p] of Object.entries(stored.partitions))
          clocks.join(offsetKey(topic, p), key, undefined)
      }
      watch.reset(subject, watched)
    },
  }
}
