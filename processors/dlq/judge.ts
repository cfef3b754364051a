import type { KafkaRecord, OutgoingRecord } from '../../core/kafka/records.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import type { DeviceDirectory } from '../../gateway/auth.js'
import { telemetryRecord, type DeviceContext } from '../../gateway/forward.js'
import { dropMissingValues } from '../../gateway/missing-values.js'
import { validateTelemetry, type ValidationLimits } from '../../gateway/validate.js'
import { dlqEntry } from './entry.js'

/** What a re-drive would do with one DLQ record. */
export type Verdict =
  | { kind: 'passes'; record: OutgoingRecord; seq: number; bootId: string }
  | { kind: 'rejected'; reason: string; detail: string }
  | { kind: 'not_redrivable'; why: string }

/** `telemetry.dlq.v1/<partition>@<offset>`: the value of the re-driven header. */
export const dlqPlace = (record: Pick<KafkaRecord, 'partition' | 'offset'>): string =>
  `${CHANNELS.dlq}/${record.partition}@${record.offset}`

/**
 * Runs a DLQ record through the gateway's own validation again (gateway/validate.ts and the
 * missing-value rule, imported, not copied) against the current device store and limits. Time is
 * judged as at its original receipt (`pw-gateway-rx-ts`): a reading that was fresh when it arrived
 * is not refused as too old because it waited in the DLQ. A record that passes becomes the record
 * the gateway would have written then — its original bytes (so device, boot and seq are the
 * device's own), key and receive time — plus `pw-redriven-from`.
 */
export function judgeRedrive(
  record: KafkaRecord,
  directory: Pick<DeviceDirectory, 'lookup'>,
  limits: ValidationLimits,
): Verdict {
  const entry = dlqEntry(record)
  if (entry.truncated)
    return { kind: 'not_redrivable', why: 'only the first bytes of an oversized payload were kept' }
  if (entry.reason === 'missing_value')
    return { kind: 'not_redrivable', why: 'its samples with values were forwarded when it arrived' }
  if (!entry.device) return { kind: 'not_redrivable', why: 'no device key' }
  const enrolled = directory.lookup(entry.device)
  if (!enrolled)
    return { kind: 'rejected', reason: 'not_enrolled', detail: `${entry.device} is not in the device store` }
  const device: DeviceContext = { deviceId: entry.device, ...enrolled }
  const rxMs = entry.timeMs
  const result = validateTelemetry(entry.device, record.value, rxMs, limits, enrolled.type)
  if (!result.ok) return { kind: 'rejected', reason: result.error.reason, detail: result.error.detail }
  const missing = dropMissingValues(result.value, record.value)
  const bytes = missing ? missing.forward : record.value
  if (!bytes) return { kind: 'rejected', reason: 'missing_value', detail: missing?.rejection.detail ?? '' }
  const out = telemetryRecord(device, result.value.deviceType, bytes, rxMs)
  return {
    kind: 'passes',
    record: { ...out, headers: { ...out.headers, [HEADERS.redrivenFrom]: dlqPlace(record) } },
    seq: result.value.seq,
    bootId: result.value.bootId,
  }
}
