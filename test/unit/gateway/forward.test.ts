import { describe, expect, it } from 'vitest'
import { DEVICE_TYPES, DEVICE_TYPE_TABLE, KNOWN_DEVICE_TYPES } from '../../../core/telemetry/device-types.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { dlqRecord, lifecycleRecord, telemetryChannel, telemetryRecord } from '../../../gateway/forward.js'

describe('forwarding picks the channel from the device-type table', () => {
  it.each(KNOWN_DEVICE_TYPES)('%s goes to its table channel (medical → vitals)', (type) => {
    const spec = DEVICE_TYPE_TABLE[type]
    const expected = spec.medical ? CHANNELS.vitals : CHANNELS.environment
    expect(CHANNELS[spec.channel]).toBe(expected)
    expect(telemetryChannel(type)).toBe(expected)
    const record = telemetryRecord({ deviceId: 'd-1', type }, 'unspecified', Buffer.from([1]), 5)
    expect(record.topic).toBe(expected)
  })

  it('covers every wire type, unspecified on the environment channel', () => {
    expect(DEVICE_TYPES.map(telemetryChannel).slice(0, 6)).toEqual([
      CHANNELS.environment,
      CHANNELS.vitals,
      CHANNELS.vitals,
      CHANNELS.vitals,
      CHANNELS.environment,
      CHANNELS.environment,
    ])
  })

  it('uses the payload type when the registry has none for the device', () => {
    expect(telemetryRecord({ deviceId: 'd-1' }, 'wearable', Buffer.from([1]), 5).topic).toBe(CHANNELS.vitals)
    expect(telemetryRecord({ deviceId: 'd-1' }, 'vibration-sensor', Buffer.from([1]), 5).topic).toBe(
      CHANNELS.environment,
    )
  })
})

describe('dead-letter records', () => {
  const device = { deviceId: 'd-1' }
  const topic = 'devices/d-1/telemetry'

  it('an oversized payload keeps its first bytes, with its original size and the reason', () => {
    const payload = Buffer.alloc(2_000_000, 7)
    payload.write('firmware-4.2', 0)
    const record = dlqRecord(device, topic, payload, { reason: 'oversized', detail: 'too big' }, 5, 1_024)
    expect(record.topic).toBe(CHANNELS.dlq)
    expect(record.value).toHaveLength(1_024)
    expect(record.value.subarray(0, 12).toString()).toBe('firmware-4.2')
    expect(record.headers?.[HEADERS.payloadSize]).toBe('2000000')
    expect(record.headers?.[HEADERS.rejectReason]).toBe('oversized')
  })

  it('any other rejection keeps the raw bytes whole, and no size header', () => {
    const payload = Buffer.alloc(4_000, 1)
    const record = dlqRecord(device, topic, payload, { reason: 'malformed', detail: 'bad' }, 5, 1_024)
    expect(record.value).toEqual(payload)
    expect(record.headers?.[HEADERS.payloadSize]).toBeUndefined()
  })
})

describe('lifecycle records', () => {
  const device = { deviceId: 'bm-1', type: 'bedside-monitor' as const, site: 'w1' }
  const body = Buffer.from('{}')

  it('a disconnect the gateway made because it stops says so, with the grace', () => {
    const record = lifecycleRecord(device, 'disconnected', body, 7, {
      reason: 'gateway_shutdown',
      graceMs: 30_000,
    })
    expect(record).toMatchObject({ topic: CHANNELS.status, key: 'bm-1' })
    expect(record.headers?.[HEADERS.lifecycle]).toBe('disconnected')
    expect(record.headers?.[HEADERS.disconnectReason]).toBe('gateway_shutdown')
    expect(record.headers?.[HEADERS.graceMs]).toBe('30000')
  })

  it("a device's own disconnect keeps today's record: no reason, no grace", () => {
    const record = lifecycleRecord(device, 'disconnected', body, 7)
    expect(record.headers?.[HEADERS.disconnectReason]).toBeUndefined()
    expect(record.headers?.[HEADERS.graceMs]).toBeUndefined()
    expect(record.headers?.[HEADERS.gatewayRxTs]).toBe('7')
  })
})
