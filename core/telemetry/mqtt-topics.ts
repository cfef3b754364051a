/**
 * The MQTT topic grammar, defined once (conventions §3): a device publishes under
 * devices/{deviceId}/…, and subscribes only to its own commands and alerts.
 */
export const DEVICE_TOPIC_ROOT = 'devices'

export type DeviceStream = 'telemetry' | 'status' | 'commands'

export const deviceTopic = (deviceId: string, stream: DeviceStream): string =>
  `${DEVICE_TOPIC_ROOT}/${deviceId}/${stream}`

export const alertTopic = (deviceId: string): string => `alerts/${deviceId}`

/** Device ids are opaque tokens: letters, digits, dot, dash, underscore (never MQTT wildcards or '/'). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

export interface ParsedDeviceTopic {
  deviceId: string
  stream: string
}

export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const parts = topic.split('/')
  if (parts.length !== 3 || parts[0] !== DEVICE_TOPIC_ROOT) return undefined
  const [, deviceId, stream] = parts as [string, string, string]
  if (!DEVICE_ID_PATTERN.test(deviceId) || stream === '') return undefined
  return { deviceId, stream }
}
