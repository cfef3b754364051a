/**
 * The MQTT topic grammar, defined once (conventions §3): a device publishes under
 * devices/{deviceId}/…, and subscribes only to its own commands and alerts.
 */
export const DEVICE_TOPIC_ROOT = 'devices'

export type DeviceStream = 'telemetry' | 'status' | 'commands'

export const deviceTopic = (deviceId: string, stream: DeviceStream): string =>
  `${DEVICE_TOPIC_ROOT}/${deviceId}/${stream}`

export const alertTopic = (deviceId: string): string => `alerts/${deviceId}`

/**
 * Where an alert operator (a clinician app) publishes alarm commands (core/alerts/alert-command.ts).
 * Outside alerts/+ on purpose: a viewer subscribed to alerts/+ must never receive commands, and no
 * role may subscribe here, so the broker delivers a command to nobody.
 */
export const ALERT_COMMAND_TOPIC = 'commands/alerts'

/** Device ids are opaque tokens: letters, digits, dot, dash, underscore (never MQTT wildcards or '/'). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
