import { describe, expect, it } from 'vitest'
import { DEVICE_TYPES, DEVICE_TYPE_TABLE, KNOWN_DEVICE_TYPES } from '../../../core/telemetry/device-types.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { telemetryChannel, telemetryRecord } from '../../../gateway/forward.js'

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
