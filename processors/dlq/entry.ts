import type { KafkaRecord } from '../../core/kafka/records.js'
import { decodeTelemetry, type TelemetryEnvelope } from '../../core/telemetry/envelope.js'
import { HEADERS } from '../../core/telemetry/headers.js'

/** A DLQ record as an operator reads it (`pulsewire dlq list|show`). */
export interface DlqEntry {
  /** `<partition>:<offset>`: the id `dlq show` and `dlq redrive --id` take. */
  id: string
  partition: number
  offset: number
  /** Gateway receive time (header), else the record timestamp; ms since the epoch. */
  timeMs: number
  reason: string
  detail: string
  device: string | undefined
  /** The MQTT topic it arrived on (gateway rejects), or the channel storage read it from. */
  topic: string | undefined
  /** Bytes received: the original size of a truncated oversized payload, else the value's. */
  size: number
  /** Only the first bytes were kept (an oversized payload). */
  truncated: boolean
  /** A one-line reading of the bytes, or why they do not decode. */
  summary: string
}

const text = (record: KafkaRecord, name: string): string | undefined => record.headers[name]?.toString('utf8')

/** Where storage read a record it refused: the end of its detail, `(topic/partition@offset)`. */
const STORAGE_SOURCE = /\(([^()/]+)\/\d+@\d+\)$/

export function dlqEntry(record: KafkaRecord): DlqEntry {
  const rx = Number(text(record, HEADERS.gatewayRxTs))
  const original = Number(text(record, HEADERS.payloadSize))
  const detail = text(record, HEADERS.rejectDetail) ?? ''
  const truncated = Number.isSafeInteger(original) && original > record.value.length
  return {
    id: `${record.partition}:${record.offset}`,
    partition: record.partition,
    offset: record.offset,
    timeMs: Number.isFinite(rx) && rx > 0 ? rx : (record.timestamp ?? 0),
    reason: text(record, HEADERS.rejectReason) ?? 'unknown',
    detail,
    device: record.key || undefined,
    topic: text(record, HEADERS.mqttTopic) ?? STORAGE_SOURCE.exec(detail)?.[1],
    size: truncated ? original : record.value.length,
    truncated,
    summary: summarise(record.value, truncated),
  }
}

export function summarise(bytes: Buffer, truncated: boolean): string {
  if (truncated) return `first ${bytes.length} bytes only (oversized); not decoded`
  if (bytes.length === 0) return 'empty payload'
  const decoded = decodeTelemetry(bytes)
  if (!decoded.ok) return `undecodable: ${decoded.error.reason} (${decoded.error.message.slice(0, 80)})`
  return envelopeLine(decoded.value)
}

export function envelopeLine(e: TelemetryEnvelope): string {
  const shown = e.samples.slice(0, 3).map((s) => `${s.metric}=${s.valueAbsent ? '∅' : s.value}`)
  const more = e.samples.length > 3 ? ` +${e.samples.length - 3}` : ''
  const at = e.deviceTsMs > 0 ? new Date(e.deviceTsMs).toISOString() : 'no time'
  return `${e.deviceType} ${e.deviceId || '(no id)'} boot ${e.bootId || '-'} seq ${e.seq} at ${at}: ${e.samples.length} samples ${shown.join(' ')}${more}`
}

/** `hexdump -C`-style lines of the first `limit` bytes. */
export function hexDump(bytes: Buffer, limit = 256): string[] {
  const lines: string[] = []
  const head = bytes.subarray(0, limit)
  for (let at = 0; at < head.length; at += 16) {
    const row = head.subarray(at, at + 16)
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`)
  }
  if (bytes.length > limit) lines.push(`… ${bytes.length - limit} more bytes`)
  return lines
}

/** `<partition>:<offset>`, as `dlq list` prints them. */
export function parseDlqId(id: string): { partition: number; offset: number } | undefined {
  const m = /^(\d{1,4}):(\d{1,15})$/.exec(id)
  return m ? { partition: Number(m[1]), offset: Number(m[2]) } : undefined
}

export interface DlqFilter {
  sinceMs?: number | undefined
  reasons?: readonly string[] | undefined
  device?: string | undefined
}

export function matches(entry: DlqEntry, filter: DlqFilter): boolean {
  if (filter.sinceMs !== undefined && entry.timeMs < filter.sinceMs) return false
  if (filter.reasons && filter.reasons.length > 0 && !filter.reasons.includes(entry.reason)) return false
  if (filter.device !== undefined && entry.device !== filter.device) return false
  return true
}
