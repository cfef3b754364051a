import type { ProcessName } from '../processes.js'
import { type HEADERS, TELEMETRY_SCHEMA } from './headers.js'

/**
 * Channel (Kafka topic) names and their shape: the only definition site (conventions §3).
 * One channel per event family, never one big topic (architecture.md §1). The `.v1` suffix
 * versions the record contract; a breaking change gets a new channel, not a new meaning.
 */
export const CHANNELS = {
  // `.v2`: same records as `.v1`, but co-partitioned (ADR 0014): 12 partitions each and keys
  // placed by Java's murmur2, so every record of one device has the same partition index.
  vitals: 'telemetry.vitals.v2',
  environment: 'telemetry.environment.v2',
  status: 'telemetry.status.v2',
  dlq: 'telemetry.dlq.v1',
  /** Which DLQ records `pulsewire dlq redrive` has re-driven, and where to (ADR 0020). */
  dlqRedriven: 'telemetry.dlq.redriven.v1',
  alertEvents: 'alerts.events.v1',
  alertState: 'alerts.state.v1',
  alertCommands: 'alerts.commands.v1',
} as const

export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS]

/**
 * What a record's value is, for the service catalog (`pulsewire catalog`): a protobuf message by
 * its fully qualified name, or another content type described in words, and the headers set.
 */
export interface ChannelPayload {
  message: string
  contentType: 'application/x-protobuf' | 'application/json' | 'application/octet-stream'
  /** Fully qualified protobuf message of the value (proto/pulsewire/**), when it is one. */
  protobuf?: string
  headers: readonly (keyof typeof HEADERS)[]
  description: string
}

export interface ChannelSpec {
  name: ChannelName
  /** Upper bound of consumer parallelism per group; keyed by device id. */
  partitions: number
  /**
   * Topic-level configs (retention, compaction). Replication and `min.insync.replicas` come from
   * the config (`kafka.topics`, core/config/topics.ts), not from here.
   */
  config: Record<string, string>
  description: string
  /** Which processes write it: the catalog's send operations. */
  producedBy: readonly ProcessName[]
  payload: ChannelPayload
}

const TELEMETRY_PAYLOAD: ChannelPayload = {
  message: 'Telemetry',
  contentType: 'application/x-protobuf',
  protobuf: TELEMETRY_SCHEMA,
  headers: ['gatewayRxTs', 'schema', 'deviceType', 'site', 'subject', 'heartbeat', 'graceMs', 'redrivenFrom'],
  description:
    'The device’s own protobuf bytes, unchanged; what the gateway knows travels in headers. Besides, a gateway heartbeat on every partition each second: no key, an empty value, pw-heartbeat (gateway id) and pw-gateway-rx-ts (pw-grace-ms on the final ones of a graceful stop); consumers skip it.',
}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * The partition count of every device-keyed channel a stateful processor (alerting) reads: equal
 * counts plus the murmur2 partitioner put one device on the same partition index of each, and
 * eager `range` assignment gives one member the same index of each (ADR 0014). 12 divides evenly
 * over 1, 2, 3, 4, 6 and 12 members. Partitions can never shrink: raising it means new channels.
 */
export const TELEMETRY_PARTITIONS = 12

export const CHANNEL_SPECS: readonly ChannelSpec[] = [
  {
    name: CHANNELS.vitals,
    partitions: TELEMETRY_PARTITIONS,
    config: { 'retention.ms': String(7 * DAY_MS) },
    description: 'Validated vital-sign telemetry from medical devices, key = device id.',
    producedBy: ['gateway'],
    payload: TELEMETRY_PAYLOAD,
  },
  {
    name: CHANNELS.environment,
    partitions: TELEMETRY_PARTITIONS,
    config: { 'retention.ms': String(7 * DAY_MS) },
    description: 'Validated environmental and industrial sensor telemetry, key = device id.',
    producedBy: ['gateway'],
    payload: TELEMETRY_PAYLOAD,
  },
  {
    name: CHANNELS.status,
    partitions: TELEMETRY_PARTITIONS,
    config: { 'retention.ms': String(7 * DAY_MS) },
    description: 'Device lifecycle: connect, disconnect, last will, device status reports.',
    producedBy: ['gateway'],
    payload: {
      message: 'DeviceLifecycle',
      contentType: 'application/json',
      headers: [
        'gatewayRxTs',
        'deviceType',
        'site',
        'subject',
        'lifecycle',
        'disconnectReason',
        'graceMs',
        'heartbeat',
      ],
      description:
        'connected/disconnected: {"event","deviceId","atMs"} from the gateway (a disconnect the gateway made because it stops gracefully also has pw-disconnect-reason gateway_shutdown and pw-grace-ms); status: the bytes the device published on devices/{deviceId}/status (its last will). Gateway heartbeats as on the telemetry channels.',
    },
  },
  {
    name: CHANNELS.dlq,
    partitions: 3,
    config: { 'retention.ms': String(14 * DAY_MS) },
    description: 'Rejected payloads: raw bytes with reason headers.',
    producedBy: ['gateway', 'storage'],
    payload: {
      message: 'RejectedPayload',
      contentType: 'application/octet-stream',
      headers: ['gatewayRxTs', 'deviceType', 'site', 'subject', 'rejectReason', 'rejectDetail', 'mqttTopic'],
      description: 'The rejected bytes as received, so they can be inspected and replayed after a fix.',
    },
  },
  {
    name: CHANNELS.dlqRedriven,
    partitions: 3,
    // Compacted, no time limit: the ledger that makes a re-drive idempotent must outlive the DLQ.
    config: { 'cleanup.policy': 'compact', 'segment.ms': String(60 * 60_000) },
    description:
      'Ledger of re-driven DLQ records (`pulsewire dlq redrive`, a command, not a service): key = "<dlq partition>:<offset>", latest wins.',
    producedBy: [],
    payload: {
      message: 'RedrivenRecord',
      contentType: 'application/json',
      headers: [],
      description:
        '{"v":1,"dlq":{"partition","offset"},"to":{"topic","partition","offset"},"atMs"}: where the re-driven copy was written (processors/dlq/ledger.ts).',
    },
  },
  {
    name: CHANNELS.alertEvents,
    partitions: 6,
    config: { 'retention.ms': String(30 * DAY_MS) },
    description:
      'Alert lifecycle events (raised, escalated, cleared, acknowledged, silenced, reset), key = device id.',
    producedBy: ['alerting'],
    payload: {
      message: 'AlertEvent',
      contentType: 'application/x-protobuf',
      protobuf: 'pulsewire.alerts.v1.AlertEvent',
      headers: ['alertId', 'transition', 'priority'],
      description: 'One alert transition, written in a Kafka transaction with the consumed offsets.',
    },
  },
  {
    name: CHANNELS.alertState,
    partitions: 6,
    // Compaction only cleans closed segments: roll them every 10 minutes (not the 7-day default),
    // so a restore reads about one state per device instead of every state ever written.
    config: { 'cleanup.policy': 'compact', 'segment.ms': String(10 * 60_000) },
    description: 'Compacted alarm-rule state, so alerting resumes after a restart or rebalance.',
    producedBy: ['alerting'],
    payload: {
      message: 'AlertingState',
      contentType: 'application/json',
      headers: [],
      description:
        'A device’s rule-engine snapshot and the input offsets it reflects (processors/alerting/state-store.ts); key = device id, latest wins.',
    },
  },
  {
    name: CHANNELS.alertCommands,
    // As many partitions as the telemetry inputs (ADR 0014): with the same key and count, a device's
    // commands land on the same partition index as its vitals, so the member owning its alarm state gets them.
    partitions: TELEMETRY_PARTITIONS,
    config: { 'retention.ms': String(30 * DAY_MS) },
    description:
      'Operator alarm commands (acknowledge, silence, reset) from clinician apps via the gateway, from `pulsewire alarm` and from the web console (`pulsewire web`), key = the alert’s device id.',
    producedBy: ['gateway', 'web'],
    payload: {
      message: 'AlertCommand',
      contentType: 'application/json',
      headers: ['alertId', 'command'],
      description:
        '{"v":1,"commandId","command","alertId","by","atMs","reason","durationMs"?,"source"} (core/alerts/alert-command.ts); consumed by alerting in the same transaction as telemetry.',
    },
  },
]
