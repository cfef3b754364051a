import type { KafkaRecord, OutgoingRecord, ProduceRecord } from '../../core/kafka/records.js'
import {
  encodeTelemetry,
  type DeviceType,
  type Quality,
  type TelemetryEnvelope,
  type TelemetrySample,
} from '../../core/telemetry/envelope.js'
import { HEADERS, TELEMETRY_SCHEMA } from '../../core/telemetry/headers.js'
import { METRICS, type MetricName } from '../../core/telemetry/metric-registry.js'
import { CHANNELS } from '../../core/telemetry/topics.js'

export function sample(
  metric: MetricName,
  value: number,
  options: { tsMs?: number; quality?: Quality; backfill?: boolean } = {},
): TelemetrySample {
  return {
    metric,
    value,
    ucum: METRICS[metric].ucum,
    quality: options.quality ?? 'valid',
    tsMs: options.tsMs ?? 0,
    backfill: options.backfill ?? false,
  }
}

export function envelope(
  deviceId: string,
  seq: number,
  deviceTsMs: number,
  samples: TelemetrySample[],
  deviceType: DeviceType = 'bedside-monitor',
): TelemetryEnvelope {
  return { deviceId, bootId: 'boot-1', seq, deviceTsMs, deviceType, samples }
}

/** A bedside monitor's reading: heart rate and SpO2 read at the message's time. */
export function vitalsReading(deviceId: string, seq: number, deviceTsMs: number): TelemetryEnvelope {
  return envelope(deviceId, seq, deviceTsMs, [
    sample('heart_rate', 60 + (seq % 40)),
    sample('spo2', 90 + (seq % 10)),
  ])
}

export interface GatewayContext {
  type?: DeviceType
  site?: string
  subject?: string
  rxMs?: number
}

/** The headers the gateway sets on every telemetry record (gateway/forward.ts). */
export function gatewayHeaders(context: GatewayContext = {}): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.gatewayRxTs]: String(context.rxMs ?? Date.now()),
    [HEADERS.schema]: TELEMETRY_SCHEMA,
  }
  if (context.type) headers[HEADERS.deviceType] = context.type
  if (context.site) headers[HEADERS.site] = context.site
  if (context.subject) headers[HEADERS.subject] = context.subject
  return headers
}

/** A record as the gateway produces it, ready for a real producer. */
export function telemetryRecord(
  reading: TelemetryEnvelope,
  context: GatewayContext = {},
  topic: string = CHANNELS.vitals,
): OutgoingRecord {
  return {
    topic,
    key: reading.deviceId,
    value: Buffer.from(encodeTelemetry(reading)),
    headers: gatewayHeaders({ type: reading.deviceType, ...context }),
  }
}

let nextOffset = 0

/** The same record as a consumer hands it over (for unit tests of handlers). */
export function consumedRecord(
  outgoing: ProduceRecord,
  place: { partition?: number; offset?: number } = {},
): KafkaRecord {
  const headers: Record<string, Buffer> = {}
  for (const [key, value] of Object.entries(outgoing.headers ?? {})) {
    headers[key] = Buffer.isBuffer(value) ? value : Buffer.from(value)
  }
  return {
    topic: outgoing.topic,
    partition: place.partition ?? outgoing.partition ?? 0,
    offset: place.offset ?? nextOffset++,
    key: outgoing.key,
    value: outgoing.value,
    timestamp: outgoing.timestamp,
    headers,
  }
}
