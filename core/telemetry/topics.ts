/**
 * Channel (Kafka topic) names and their shape: the only definition site (conventions §3).
 * One channel per event family, never one big topic (architecture.md §1). The `.v1` suffix
 * versions the record contract; a breaking change gets a new channel, not a new meaning.
 */
export const CHANNELS = {
  vitals: 'telemetry.vitals.v1',
  environment: 'telemetry.environment.v1',
  status: 'telemetry.status.v1',
  dlq: 'telemetry.dlq.v1',
  alertEvents: 'alerts.events.v1',
  alertState: 'alerts.state.v1',
} as const

export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS]

export interface ChannelSpec {
  name: ChannelName
  /** Upper bound of consumer parallelism per group; keyed by device id. */
  partitions: number
  /** Topic-level configs (retention, compaction). */
  config: Record<string, string>
  description: string
}

const DAY_MS = 24 * 60 * 60 * 1000

export const CHANNEL_SPECS: readonly ChannelSpec[] = [
  {
    name: CHANNELS.vitals,
    partitions: 12,
    config: { 'retention.ms': String(7 * DAY_MS), 'min.insync.replicas': '1' },
    description: 'Validated vital-sign telemetry from medical devices, key = device id.',
  },
  {
    name: CHANNELS.environment,
    partitions: 6,
    config: { 'retention.ms': String(7 * DAY_MS), 'min.insync.replicas': '1' },
    description: 'Validated environmental and industrial sensor telemetry, key = device id.',
  },
  {
    name: CHANNELS.status,
    partitions: 3,
    config: { 'retention.ms': String(7 * DAY_MS), 'min.insync.replicas': '1' },
    description: 'Device lifecycle: connect, disconnect, last will, device status reports.',
  },
  {
    name: CHANNELS.dlq,
    partitions: 3,
    config: { 'retention.ms': String(14 * DAY_MS), 'min.insync.replicas': '1' },
    description: 'Rejected payloads: raw bytes with reason headers.',
  },
  {
    name: CHANNELS.alertEvents,
    partitions: 6,
    config: { 'retention.ms': String(30 * DAY_MS), 'min.insync.replicas': '1' },
    description: 'Alert lifecycle events (raised, escalated, cleared, acknowledged), key = device id.',
  },
  {
    name: CHANNELS.alertState,
    partitions: 6,
    // Compaction only cleans closed segments: roll them every 10 minutes (not the 7-day default),
    // so a restore reads about one state per device instead of every state ever written.
    config: { 'cleanup.policy': 'compact', 'segment.ms': String(10 * 60_000), 'min.insync.replicas': '1' },
    description: 'Compacted alarm-rule state, so alerting resumes after a restart or rebalance.',
  },
]
