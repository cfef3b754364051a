import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { KafkaRecord } from '../../core/kafka/records.js'
import { DEVICE_TYPES } from '../../core/telemetry/envelope.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import type { AlertEngine, DeviceInfo } from './engine/engine.js'

export interface TopicPartition {
  topic: string
  partition: number
}

/** Gateway receive time of a record: its header, else the record timestamp, else now. */
export function receivedAt(record: KafkaRecord, nowMs: () => number): number {
  const header = Number(record.headers[HEADERS.gatewayRxTs]?.toString())
  if (Number.isFinite(header) && header > 0) return header
  return record.timestamp ?? nowMs()
}

/** A positive ms count from a header, or undefined. */
export function headerMs(record: KafkaRecord, name: string): number | undefined {
  const raw = record.headers[name]?.toString()
  const ms = raw === undefined ? Number.NaN : Number(raw)
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

/** A status-channel record → the engine's lifecycle input. */
export function lifecycleOf(
  engine: AlertEngine,
  device: DeviceInfo,
  record: KafkaRecord,
  atMs: number,
): AlertEvent[] {
  const kind = record.headers[HEADERS.lifecycle]?.toString()
  if (kind === 'connected') return engine.onLifecycle(device, 'connected', atMs)
  if (kind === 'disconnected') {
    // A gateway stopping gracefully marks its devices as moving, not lost (issue #9).
    const shutdown = record.headers[HEADERS.disconnectReason]?.toString() === 'gateway_shutdown'
    return engine.onLifecycle(
      device,
      'disconnected',
      atMs,
      shutdown ? { reason: 'gateway_shutdown', graceMs: headerMs(record, HEADERS.graceMs) ?? 0 } : undefined,
    )
  }
  // A device's own status message; its last will says "offline".
  if (kind === 'status' && record.value.toString('utf8').includes('"offline"'))
    return engine.onLifecycle(device, 'disconnected', atMs)
  return []
}

export function deviceInfo(deviceId: string, record: KafkaRecord): DeviceInfo {
  const type = record.headers[HEADERS.deviceType]?.toString()
  return {
    deviceId,
    deviceType: DEVICE_TYPES.find((t) => t === type) ?? 'unspecified',
    subjectId: record.headers[HEADERS.subject]?.toString(),
    site: record.headers[HEADERS.site]?.toString(),
  }
}

/** The offsets to commit for a batch: one past the last record of each partition. */
export function nextOffsets(records: readonly KafkaRecord[]): Array<TopicPartition & { offset: number }> {
  const next = new Map<string, TopicPartition & { offset: number }>()
  for (const r of records) {
    const key = `${r.topic}/${r.partition}`
    const current = next.get(key)
    if (!current || r.offset + 1 > current.offset)
      next.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1 })
  }
  return [...next.values()]
}
