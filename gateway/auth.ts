import type { DeviceType } from '../core/telemetry/envelope.js'
import { DEVICE_ID_PATTERN, alertTopic, deviceTopic } from '../core/telemetry/mqtt-topics.js'

export type AuthOutcome = 'ok' | 'unknown' | 'revoked' | 'bad-secret'

/** What the gateway needs from the device registry (gateway/registry). */
export interface DeviceDirectory {
  authenticate(deviceId: string, password: Buffer | undefined): AuthOutcome
  lookup(
    deviceId: string,
  ): { type?: DeviceType | undefined; site?: string | undefined; subjectId?: string | undefined } | undefined
}

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const CONNACK = { identifierRejected: 2, badUsernameOrPassword: 4, notAuthorized: 5 } as const

export type ConnectDecision =
  | { ok: true }
  | { ok: false; returnCode: number; outcome: 'client_id_mismatch' | 'unknown' | 'revoked' | 'bad_secret' }

/** The client id must be the device id, and the username too when one is given. */
export function decideConnect(
  directory: DeviceDirectory,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
): ConnectDecision {
  if (!DEVICE_ID_PATTERN.test(clientId) || (username !== undefined && username !== clientId)) {
    return { ok: false, returnCode: CONNACK.identifierRejected, outcome: 'client_id_mismatch' }
  }
  const outcome = directory.authenticate(clientId, password)
  if (outcome === 'ok') return { ok: true }
  if (outcome === 'bad-secret')
    return { ok: false, returnCode: CONNACK.badUsernameOrPassword, outcome: 'bad_secret' }
  return { ok: false, returnCode: CONNACK.notAuthorized, outcome }
}

export type PublishRoute = 'telemetry' | 'status' | 'denied'

/** ACL: a device publishes only its own telemetry and status (architecture.md §6). */
export function routePublish(deviceId: string, topic: string): PublishRoute {
  if (topic === deviceTopic(deviceId, 'telemetry')) return 'telemetry'
  if (topic === deviceTopic(deviceId, 'status')) return 'status'
  return 'denied'
}

/** ACL: a device subscribes only to its own commands and alerts, without wildcards. */
export function maySubscribe(deviceId: string, topicFilter: string): boolean {
  return topicFilter === deviceTopic(deviceId, 'commands') || topicFilter === alertTopic(deviceId)
}
