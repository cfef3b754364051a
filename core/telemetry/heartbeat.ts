import type { KafkaRecord, PartitionRecord } from '../kafka/records.js'
import { HEADERS } from './headers.js'

/**
 * Gateway heartbeats (issue #9, per-device time): on every partition of every telemetry channel,
 * a record with no key, an empty value and the gateway's receive-time header, so a partition's
 * clock moves even when no device on it publishes. Defined here, beside the headers, because the
 * gateway writes them and every consumer of the telemetry channels must recognise them.
 */
export interface Heartbeat {
  gatewayId: string
  /** The gateway clock when the heartbeat was enqueued behind the records received before it. */
  rxMs: number
  /** Only on the final heartbeats of a gracefully stopping gateway. */
  graceMs: number | undefined
}

/** True for a gateway heartbeat: never telemetry, never a reading, never undecodable. */
export function isHeartbeat(record: Pick<KafkaRecord, 'headers'>): boolean {
  return record.headers[HEADERS.heartbeat] !== undefined
}

/** The heartbeat a record carries, or undefined for any other record (or a malformed heartbeat). */
export function readHeartbeat(record: Pick<KafkaRecord, 'headers'>): Heartbeat | undefined {
  const id = record.headers[HEADERS.heartbeat]
  const rx = record.headers[HEADERS.gatewayRxTs]
  if (id === undefined || rx === undefined) return undefined
  const rxMs = decimal(rx.toString())
  if (rxMs === undefined) return undefined
  const grace = record.headers[HEADERS.graceMs]
  return {
    gatewayId: id.toString(),
    rxMs,
    graceMs: grace === undefined ? undefined : decimal(grace.toString()),
  }
}

export function heartbeatRecord(
  topic: string,
  partition: number,
  gatewayId: string,
  rxMs: number,
  graceMs?: number,
): PartitionRecord {
  const headers: Record<string, string> = {
    [HEADERS.heartbeat]: gatewayId,
    [HEADERS.gatewayRxTs]: String(rxMs),
  }
  if (graceMs !== undefined) headers[HEADERS.graceMs] = String(graceMs)
  return { topic, partition, value: Buffer.alloc(0), headers }
}

function decimal(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}
