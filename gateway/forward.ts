import type { OutgoingRecord } from '../core/kafka/records.js'
import { deviceTypeChannel, type DeviceType } from '../core/telemetry/device-types.js'
import { HEADERS, TELEMETRY_SCHEMA } from '../core/telemetry/headers.js'
import { CHANNELS } from '../core/telemetry/topics.js'
import type { Rejection } from './validate.js'

/** What the device store knows about a device, carried to the processors as headers. */
export interface DeviceContext {
  deviceId: string
  type?: DeviceType | undefined
  site?: string | undefined
  subjectId?: string | undefined
}

/**
 * A device always maps to one channel (by its type), so its records keep their order: medical
 * devices to vitals, sensors to environment (the device-type table says which is which).
 */
export function telemetryChannel(type: DeviceType): string {
  return deviceTypeChannel(type)
}

function contextHeaders(device: DeviceContext, rxMs: number): Record<string, string> {
  const headers: Record<string, string> = { [HEADERS.gatewayRxTs]: String(rxMs) }
  if (device.type) headers[HEADERS.deviceType] = device.type
  if (device.site) headers[HEADERS.site] = device.site
  if (device.subjectId) headers[HEADERS.subject] = device.subjectId
  return headers
}

/**
 * The channel is the registry's type; only a device enrolled without one (the registry leaves it
 * open) is routed by its payload's type. Ingest never calls this for a device without a registry
 * entry, and the validator has refused a payload whose type disagrees with the registry's.
 */
export function telemetryRecord(
  device: DeviceContext,
  payloadType: DeviceType,
  payload: Buffer,
  rxMs: number,
): OutgoingRecord {
  return {
    topic: telemetryChannel(device.type ?? payloadType),
    key: device.deviceId,
    value: payload,
    headers: { ...contextHeaders(device, rxMs), [HEADERS.schema]: TELEMETRY_SCHEMA },
  }
}

/**
 * Poison keeps its raw bytes and says why, so it can be inspected and replayed after a fix. An
 * oversized payload keeps only its first `oversizedKeepBytes` and its original size: the whole of
 * it could exceed what the producer may send (message.max.bytes), and a DLQ record Kafka refuses
 * leaves the publish unacknowledged, so the device would resend it forever.
 */
export function dlqRecord(
  device: DeviceContext,
  topic: string,
  payload: Buffer,
  rejection: Rejection,
  rxMs: number,
  oversizedKeepBytes: number,
): OutgoingRecord {
  const truncate = rejection.reason === 'oversized' && payload.length > oversizedKeepBytes
  return {
    topic: CHANNELS.dlq,
    key: device.deviceId,
    value: truncate ? payload.subarray(0, oversizedKeepBytes) : payload,
    headers: {
      ...contextHeaders(device, rxMs),
      [HEADERS.rejectReason]: rejection.reason,
      [HEADERS.rejectDetail]: rejection.detail.slice(0, 500),
      [HEADERS.mqttTopic]: topic,
      ...(truncate ? { [HEADERS.payloadSize]: String(payload.length) } : {}),
    },
  }
}

export type LifecycleEvent = 'connected' | 'disconnected' | 'status'

/**
 * Why the gateway closed a connection, on its disconnect record: only a gracefully stopping
 * gateway says so, with how long its devices may take to reconnect elsewhere (issue #9).
 */
export interface DisconnectCause {
  reason: 'gateway_shutdown'
  graceMs: number
}

/** Device lifecycle on the status channel: connect, disconnect, and what devices publish on .../status (last will). */
export function lifecycleRecord(
  device: DeviceContext,
  event: LifecycleEvent,
  body: Buffer,
  rxMs: number,
  cause?: DisconnectCause,
): OutgoingRecord {
  const headers: Record<string, string> = { ...contextHeaders(device, rxMs), [HEADERS.lifecycle]: event }
  if (cause) {
    headers[HEADERS.disconnectReason] = cause.reason
    headers[HEADERS.graceMs] = String(cause.graceMs)
  }
  return { topic: CHANNELS.status, key: device.deviceId, value: body, headers }
}
