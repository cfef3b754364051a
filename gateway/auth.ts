import type { DeviceType } from '../core/telemetry/envelope.js'
import {
  ALERT_COMMAND_TOPIC,
  DEVICE_ID_PATTERN,
  alertTopic,
  deviceTopic,
} from '../core/telemetry/mqtt-topics.js'

export type AuthOutcome = 'ok' | 'unknown' | 'revoked' | 'bad-secret'

/**
 * What a registered client may do (ADR 0007). `device` publishes its own telemetry and status;
 * `alert-publisher` (the MQTT alert sink) publishes retained alert states to `alerts/{deviceId}`;
 * `alert-viewer` (a clinician app) only subscribes to `alerts/+` or `alerts/{deviceId}`;
 * `alert-operator` (a clinician app that may act) subscribes as a viewer does and publishes alarm
 * commands to `commands/alerts`, which the gateway forwards to alerts.commands.v1 in its name.
 */
export const CLIENT_ROLES = ['device', 'alert-publisher', 'alert-viewer', 'alert-operator'] as const
export type ClientRole = (typeof CLIENT_ROLES)[number]

/** What the gateway needs from the device store (gateway/device-store). */
export interface DeviceDirectory {
  authenticate(deviceId: string, password: Buffer | undefined): AuthOutcome
  lookup(deviceId: string):
    | {
        type?: DeviceType | undefined
        site?: string | undefined
        subjectId?: string | undefined
        /** Absent for a device (device-store files written before roles existed). */
        role?: ClientRole | undefined
      }
    | undefined
  /** Changes when the device's secret is rotated; undefined for an unknown or revoked device. */
  secretStamp?(deviceId: string): string | undefined
  /** Told after the entries changed, so open connections are checked again (revocation). */
  onChange?(listener: () => void): () => void
}

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const CONNACK = { identifierRejected: 2, badUsernameOrPassword: 4, notAuthorized: 5 } as const

export type ConnectDecision =
  /** `viaCertificate`: a verified client certificate named the device; no secret was checked. */
  | { ok: true; viaCertificate?: true }
  | {
      ok: false
      returnCode: number
      outcome: 'client_id_mismatch' | 'unknown' | 'revoked' | 'bad_secret' | 'certificate_mismatch'
    }

/**
 * The client id must be the device id, and the username too when one is given. `certificateId` is
 * the subject CN of a client certificate the TLS listener verified against `mqtt.tls.caFile`: it
 * is the device's identity, so it must equal the client id and be enrolled, and then the secret is
 * not needed (nor checked). A certificate naming another device gets the one refusal code (5).
 */
export function decideConnect(
  directory: DeviceDirectory,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  certificateId?: string,
): ConnectDecision {
  if (!DEVICE_ID_PATTERN.test(clientId) || (username !== undefined && username !== clientId)) {
    return { ok: false, returnCode: CONNACK.identifierRejected, outcome: 'client_id_mismatch' }
  }
  if (certificateId !== undefined) {
    if (certificateId !== clientId)
      return { ok: false, returnCode: CONNACK.notAuthorized, outcome: 'certificate_mismatch' }
    if (directory.lookup(clientId)) return { ok: true, viaCertificate: true }
  }
  // Without a certificate, or with one for an id not enrolled (then no password is 'unknown'/'revoked').
  const outcome = directory.authenticate(clientId, certificateId === undefined ? password : undefined)
  if (outcome === 'ok') return { ok: true }
  // One answer for an unknown id, a revoked one and a wrong secret (issue #10, finding 9): telling
  // them apart lets a scanner enumerate enrolled ids. 5 and not 4: per MQTT 3.1.1 §3.2.2.3, 4 says
  // the user name or password is *malformed*, 5 that the client is not authorized, which is the
  // case for all three. The outcome stays distinct on the server side (metric label, log).
  return {
    ok: false,
    returnCode: CONNACK.notAuthorized,
    outcome: outcome === 'bad-secret' ? 'bad_secret' : outcome,
  }
}

/** telemetry, status and alert-command go to Kafka before the PUBACK; alert goes through aedes only (retained). */
export type PublishRoute = 'telemetry' | 'status' | 'alert' | 'alert-command' | 'denied'

const ALERT_ROOT = alertTopic('')
const ALL_ALERTS = `${ALERT_ROOT}+`

/** The device id in `alerts/{deviceId}`, or undefined for any other topic (wildcards, deeper levels). */
function alertTopicDevice(topic: string): string | undefined {
  if (!topic.startsWith(ALERT_ROOT)) return undefined
  const id = topic.slice(ALERT_ROOT.length)
  return DEVICE_ID_PATTERN.test(id) ? id : undefined
}

/**
 * ACL for PUBLISH (architecture.md §6): a device publishes only its own telemetry and status; an
 * alert publisher only `alerts/{any device id}`; an operator only the command topic; a viewer nothing.
 */
export function routePublish(clientId: string, topic: string, role: ClientRole = 'device'): PublishRoute {
  if (role === 'alert-publisher') return alertTopicDevice(topic) ? 'alert' : 'denied'
  if (role === 'alert-operator') return topic === ALERT_COMMAND_TOPIC ? 'alert-command' : 'denied'
  if (role !== 'device') return 'denied'
  if (topic === deviceTopic(clientId, 'telemetry')) return 'telemetry'
  if (topic === deviceTopic(clientId, 'status')) return 'status'
  return 'denied'
}

/**
 * ACL for SUBSCRIBE: a device subscribes only to its own commands and alerts, without wildcards;
 * a viewer or operator to `alerts/+` or one device's `alerts/{id}`; an alert publisher to nothing.
 */
export function maySubscribe(clientId: string, topicFilter: string, role: ClientRole = 'device'): boolean {
  if (role === 'alert-viewer' || role === 'alert-operator')
    return topicFilter === ALL_ALERTS || alertTopicDevice(topicFilter) !== undefined
  if (role !== 'device') return false
  return topicFilter === deviceTopic(clientId, 'commands') || topicFilter === alertTopic(clientId)
}
