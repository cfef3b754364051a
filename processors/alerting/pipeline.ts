import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaRecord, OutgoingRecord } from '../../core/kafka/records.js'
import { decodeTelemetry } from '../../core/telemetry/envelope.js'
import { isHeartbeat } from '../../core/telemetry/heartbeat.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { evaluateCommand } from './command-input.js'
import { createDeviceBook } from './device-book.js'
import { createDedupe, evictionReporter } from './dedupe.js'
import type { StateWriteReason } from './metrics.js'
import type { AlertPipeline, AlertPipelineDeps } from './pipeline-port.js'
import {
  createMonitoringWatch,
  isMonitoringSubject,
  isSubjectOf,
  monitoringScope,
} from './monitoring-watch.js'
import { alertEventRecord, observeEmitted } from './output.js'
import { createClockStore, isClockKey } from './clock-store.js'
import { createPartitionClocks } from './partition-clocks.js'
import { batchStarts, createDirtyStates, splitKey, type Position } from './dirty-states.js'
import {
  deviceInfo,
  headerMs,
  lifecycleOf,
  nextOffsets,
  receivedAt,
  type TopicPartition,
} from './record-input.js'
import { encodeStoredState, offsetKey, type StoredState } from './state-store.js'

export type { TopicPartition } from './record-input.js'
export type { AlertPipeline, AlertPipelineDeps } from './pipeline-port.js'

/** The channels with a gateway clock (heartbeats on every partition); commands have none. */
const CLOCKED = new Set<string>([CHANNELS.vitals, CHANNELS.environment, CHANNELS.status])

export function createAlertPipeline(deps: AlertPipelineDeps): AlertPipeline {
  const { metrics, clock } = deps
  const log = deps.logger.child({ component: 'alerting.pipeline' })
  let engine = deps.createEngine()
  const clocks = createPartitionClocks(deps.time)
  const dirty = createDirtyStates({ maxDirtyMs: deps.stateWrites?.maxDirtyMs ?? 0 })
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
  const book = createDeviceBook({ engine: () => engine, dedupe, metrics, log })

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
    const seen = book.seen(deviceId, record)
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

  /** Each device of the moved partitions on its own clock: the least advanced of its partitions. */
  function advanceDevices(movedClocks: ReadonlyArray<[string, number]>): AlertEvent[] {
    const byClock = new Map<number, Set<string>>()
    for (const [at, clockMs] of movedClocks) {
      for (const deviceId of clocks.devices(at)) {
        const ms = clocks.deviceClock(deviceId) ?? clockMs
        let set = byClock.get(ms)
        if (!set) byClock.set(ms, (set = new Set()))
        set.add(deviceId)
      }
    }
    return [...byClock].sort(([a], [b]) => a - b).flatMap(([ms, devices]) => engine.advance(ms, devices))
  }

  async function handle(records: KafkaRecord[]): Promise<void> {
    const started = clock.now()
    dirty.begin(batchStarts(records, (at) => clocks.clock(at)))
    const events = records.flatMap(evaluate)
    const movedClocks: Array<[string, number]> = []
    for (const at of moved) {
      const clockMs = clocks.clock(at)
      if (clockMs === undefined) continue
      movedClocks.push([at, clockMs])
    }
    events.push(...advanceDevices(movedClocks))
    moved.clear()
    const highest = Math.max(0, ...movedClocks.map(([, ms]) => ms))
    if (highest > 0) metrics.streamTime.set(highest / 1000)
    events.push(...checkMonitoring())
    const writes = chooseWrites(events)
    const ends = new Map<string, Position>()
    const commitAt = nextOffsets(records).map((end) => {
      const at = offsetKey(end.topic, end.partition)
      ends.set(at, { offset: end.offset, clockMs: clocks.clock(at) })
      return { at, ...end, ...dirty.committable(at, ends.get(at)!) }
    })
    // A partition's stored clock is the one at its committed offset: a restart re-reads from
    // there and sees the partition's clock move (and any gap) as it did the first time.
    const committedClocks = movedClocks.flatMap(([at]): Array<[string, number]> => {
      const clockMs = commitAt.find((c) => c.at === at)?.clockMs
      return clockMs === undefined ? [] : [[at, clockMs]]
    })
    await emit(
      events,
      writes,
      commitAt.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      clockStore.due(committedClocks),
    )
    dirty.end(ends)
    metrics.dirtyDevices.set(dirty.size())
    metrics.batchDuration.observe((clock.now() - started) / 1000)
  }

  /**
   * The devices whose state is written with this batch: every one with a transition (so no
   * transition is ever emitted that a restart could re-derive), and those dirty too long; the
   * other changed ones are marked dirty and hold their partitions' commits back.
   */
  function chooseWrites(events: readonly AlertEvent[]): Array<[string, StateWriteReason]> {
    const now = clock.now()
    const writes = new Map<string, StateWriteReason>(events.map((e) => [e.deviceId, 'transition']))
    for (const deviceId of engine.takeDirty()) {
      if (writes.has(deviceId)) continue
      dirty.mark(deviceId, book.partitionsOf(deviceId), now)
    }
    for (const deviceId of dirty.due(now)) if (!writes.has(deviceId)) writes.set(deviceId, 'max_dirty')
    for (const deviceId of writes.keys()) dirty.saved(deviceId)
    return [...writes]
  }

  /** The monitoring-unavailable alarm from the partitions' quiet time on the alerting clock. */
  function checkMonitoring(): AlertEvent[] {
    const stalled = clocks.stalled(clock.now())
    metrics.stalledPartitions.set(stalled.length)
    return watch.check(stalled, clocks.known().length, clocks.sites(stalled), deps.time.stallMs)
  }

  /** Writes the transitions, the given devices' states and the input offsets in one transaction. */
  async function emit(
    events: AlertEvent[],
    writes: ReadonlyArray<[string, StateWriteReason]>,
    inputOffsets: Array<TopicPartition & { offset: number }>,
    clockRecords: OutgoingRecord[] = [],
  ): Promise<void> {
    const output: OutgoingRecord[] = events.map(alertEventRecord)
    for (const [deviceId, reason] of writes) {
      const snapshot = engine.snapshot(deviceId)
      if (!snapshot) continue
      const stored = book.stored(deviceId, snapshot)
      output.push({ topic: CHANNELS.alertState, key: deviceId, value: encodeStoredState(stored) })
      metrics.stateWrites.inc({ reason })
    }
    for (const { subject, record } of watch.takeDirty()) {
      // Stored under the status partition whose owner speaks for it: restored by that owner.
      const stored: StoredState = {
        offsets: {},
        partitions: { [CHANNELS.status]: subjectPartition },
        engine: record,
      }
      book.keep(subject, stored)
      output.push({ topic: CHANNELS.alertState, key: subject, value: encodeStoredState(stored) })
    }
    output.push(...clockRecords)
    if (output.length === 0 && inputOffsets.length === 0) return
    await deps.commit(output, inputOffsets)
    observeEmitted(metrics, events, clock.now())
  }

  /** Escalations are transitions: their devices are written with them (and are no longer dirty). */
  function writeAll(ids: readonly string[], reason: StateWriteReason): Array<[string, StateWriteReason]> {
    for (const deviceId of ids) dirty.saved(deviceId)
    return ids.map((deviceId) => [deviceId, reason])
  }

  /** After a failed batch or tick the engine may hold what was never committed: it is never flushed. */
  let failed = false
  const guarded = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work()
    } catch (err) {
      failed = true
      throw err
    }
  }

  return {
    handle: (records) => guarded(() => handle(records)),
    tick: () =>
      guarded(async () => {
        const events = [...engine.escalate(), ...checkMonitoring()]
        await emit(events, writeAll(engine.takeDirty(), 'transition'), [])
      }),
    async flush() {
      const at = [...dirty.positions()]
      if (failed || dirty.size() === 0) return // nothing safe to write, or the last batch committed its end
      const writes = writeAll(dirty.dirty(), 'stop')
      const clockRecords = clockStore.due(
        at.flatMap(([key, p]): Array<[string, number]> =>
          p.clockMs === undefined ? [] : [[key, p.clockMs]],
        ),
      )
      await emit(
        [],
        writes,
        at.map(([key, p]) => ({ ...splitKey(key), offset: p.offset })),
        clockRecords,
      )
      metrics.dirtyDevices.set(0)
    },
    reset(latest, assigned) {
      engine = deps.createEngine()
      book.reset(latest)
      dedupe.clear()
      dirty.clear()
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
        book.restore(key)
        for (const [topic, p] of Object.entries(stored.partitions))
          clocks.join(offsetKey(topic, p), key, undefined)
      }
      watch.reset(subject, watched)
    },
  }
}
