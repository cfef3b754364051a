import type { Clock } from '../../core/clock.js'
import type { Logger } from '../../core/log.js'
import { encodeAlertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaRecord, OutgoingRecord } from '../../core/kafka/records.js'
import { DEVICE_TYPES, decodeTelemetry, sampleTime } from '../../core/telemetry/envelope.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { evaluateCommand } from './command-input.js'
import type { AlertEngine, DeviceInfo } from './engine/engine.js'
import { createDedupe, type DedupeLimits } from './dedupe.js'
import type { AlertingMetrics } from './metrics.js'
import { encodeStoredState, offsetKey, type StoredState } from './state-store.js'

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
  metrics: AlertingMetrics
  clock: Clock
  logger: Logger
}

const EVICTION_LOG_EVERY_MS = 60_000

export interface TopicPartition {
  topic: string
  partition: number
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
  let streamTimeMs = 0
  const evicted = { count: 0, loggedAtMs: Number.NEGATIVE_INFINITY }
  const dedupe = createDedupe(deps.dedupe, () => {
    metrics.dedupeEvictions.inc()
    evicted.count++
    const now = clock.now()
    if (now - evicted.loggedAtMs < EVICTION_LOG_EVERY_MS) return
    log.warn(
      { devices: evicted.count, maxDevices: deps.dedupe.maxDevices },
      'dedupe memory full: the least recently seen devices were forgotten; a duplicate of theirs is evaluated again',
    )
    evicted.count = 0
    evicted.loggedAtMs = now
  })

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

  function evaluate(record: KafkaRecord): AlertEvent[] {
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
    if (record.topic === CHANNELS.status) return lifecycle(device, record)
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
    for (const sample of decoded.value.samples)
      streamTimeMs = Math.max(streamTimeMs, sampleTime(decoded.value, sample))
    const rxMs = Number(record.headers[HEADERS.gatewayRxTs]?.toString() ?? record.timestamp ?? clock.now())
    return engine.onTelemetry(
      decoded.value,
      {
        ...device,
        deviceType: device.deviceType === 'unspecified' ? decoded.value.deviceType : device.deviceType,
      },
      rxMs,
    )
  }

  function lifecycle(device: DeviceInfo, record: KafkaRecord): AlertEvent[] {
    const kind = record.headers[HEADERS.lifecycle]?.toString()
    const atMs = Number(record.headers[HEADERS.gatewayRxTs]?.toString() ?? record.timestamp ?? clock.now())
    metrics.records.inc({ channel: record.topic, outcome: 'evaluated' })
    if (kind === 'connected') return engine.onLifecycle(device, 'connected', atMs)
    if (kind === 'disconnected') return engine.onLifecycle(device, 'disconnected', atMs)
    // A device's own status message; its last will says "offline".
    if (kind === 'status' && record.value.toString('utf8').includes('"offline"'))
      return engine.onLifecycle(device, 'disconnected', atMs)
    return []
  }

  async function handle(records: KafkaRecord[]): Promise<void> {
    const started = clock.now()
    const events = records.flatMap(evaluate)
    if (streamTimeMs > 0) {
      events.push(...engine.advance(streamTimeMs))
      metrics.streamTime.set(streamTimeMs / 1000)
    }
    await emit(events, nextOffsets(records))
    metrics.batchDuration.observe((clock.now() - started) / 1000)
  }

  /** Writes the transitions and the state of every device they changed, with the offsets, in one transaction. */
  async function emit(
    events: AlertEvent[],
    inputOffsets: Array<TopicPartition & { offset: number }>,
  ): Promise<void> {
    const output: OutgoingRecord[] = events.map((event) => ({
      topic: CHANNELS.alertEvents,
      key: event.deviceId,
      value: Buffer.from(encodeAlertEvent(event)),
      headers: {
        [HEADERS.alertId]: event.alertId,
        [HEADERS.transition]: event.transition,
        [HEADERS.priority]: event.priority,
      },
    }))
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
    if (output.length === 0 && inputOffsets.length === 0) return
    await deps.commit(output, inputOffsets)
    const emittedMs = clock.now()
    for (const event of events) {
      metrics.transitions.inc({
        rule_type: event.ruleType,
        transition: event.transition,
        priority: event.priority,
      })
      // The SLO is reading → alert: operator transitions and escalations come from no reading.
      const fromReading = !event.late && !event.commandId && !event.escalation
      if (fromReading) metrics.emitLatency.observe(Math.max(0, emittedMs - event.eventTsMs) / 1000)
    }
  }

  return {
    handle,
    tick: () => emit(engine.escalate(), []),
    reset(latest, assigned) {
      engine = deps.createEngine()
      states = latest
      restored.clear()
      offsets.clear()
      partitions.clear()
      dedupe.clear()
      const owned = new Set(assigned.map((tp) => `${tp.topic}/${tp.partition}`))
      for (const [deviceId, stored] of latest) {
        if (Object.entries(stored.partitions).some(([topic, p]) => owned.has(`${topic}/${p}`)))
          restore(deviceId)
      }
    },
  }
}

function deviceInfo(deviceId: string, record: KafkaRecord): DeviceInfo {
  const type = record.headers[HEADERS.deviceType]?.toString()
  return {
    deviceId,
    deviceType: DEVICE_TYPES.find((t) => t === type) ?? 'unspecified',
    subjectId: record.headers[HEADERS.subject]?.toString(),
    site: record.headers[HEADERS.site]?.toString(),
  }
}

/** The offsets to commit for a batch: one past the last record of each partition. */
function nextOffsets(records: readonly KafkaRecord[]): Array<TopicPartition & { offset: number }> {
  const next = new Map<string, TopicPartition & { offset: number }>()
  for (const r of records) {
    const key = `${r.topic}/${r.partition}`
    const current = next.get(key)
    if (!current || r.offset + 1 > current.offset)
      next.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1 })
  }
  return [...next.values()]
}
