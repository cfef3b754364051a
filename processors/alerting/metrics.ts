import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Every pulsewire_alerting_* metric, defined once; labels from closed sets only. */
export function createAlertingMetrics(registry: Registry) {
  const registers = [registry]
  return {
    records: new Counter({
      name: 'pulsewire_alerting_records_total',
      help: 'Records read, by channel and outcome (evaluated, heartbeat: a gateway heartbeat, clock only; skipped_replayed, duplicate: a copy by device, boot and seq, dropped unevaluated; undecodable).',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    }),
    transitions: new Counter({
      name: 'pulsewire_alerting_transitions_total',
      help: 'Alert lifecycle events emitted, by rule type, transition and priority.',
      labelNames: ['rule_type', 'transition', 'priority'] as const,
      registers,
    }),
    emitLatency: new Histogram({
      name: 'pulsewire_alert_emit_latency_seconds',
      help: 'SLO: device timestamp of the reading that caused a transition → alert emitted (delivered to Kafka).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'pulsewire_alerting_batch_duration_seconds',
      help: 'Evaluate + produce alerts and state for one batch.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
    streamTime: new Gauge({
      name: 'pulsewire_alerting_stream_time_seconds',
      help: 'Highest gateway clock of the assigned partitions (receive time of their latest record or heartbeat), seconds since the epoch.',
      registers,
    }),
    clockGaps: new Counter({
      name: 'pulsewire_alerting_clock_gaps_total',
      help: "Partition clocks that resumed after a gap longer than time.gapMs (ingress was down): their devices' silence timers restarted.",
      registers,
    }),
    stalledPartitions: new Gauge({
      name: 'pulsewire_alerting_stalled_partitions',
      help: 'Assigned input partitions from which nothing (no record, no heartbeat) arrived for time.stallMs: the monitoring-unavailable alarm.',
      registers,
    }),
    commands: new Counter({
      name: 'pulsewire_alerting_commands_total',
      help: 'Operator alarm commands read from alerts.commands.v1, by command and outcome: applied, invalid (dropped), or why it was refused (unknown_alert, closed, already_acknowledged, condition_active, duplicate).',
      labelNames: ['command', 'outcome'] as const,
      registers,
    }),
    dedupeBeyondWindow: new Counter({
      name: 'pulsewire_alerting_dedupe_beyond_window_total',
      help: 'Telemetry records older than their device boot window (dedupe.windowSeqs): not provably new, evaluated anyway.',
      registers,
    }),
    dedupeEvictions: new Counter({
      name: 'pulsewire_alerting_dedupe_evictions_total',
      help: 'Devices forgotten by duplicate detection because dedupe.maxDevices were tracked.',
      registers,
    }),
    stateWrites: new Counter({
      name: 'pulsewire_alerting_state_writes_total',
      help: "Device state records written to alerts.state.v1, by reason: transition (with the device's alert event), max_dirty (changed without a transition for state.maxDirtyMs), stop (a graceful stop writes every dirty device).",
      labelNames: ['reason'] as const,
      registers,
    }),
    dirtyDevices: new Gauge({
      name: 'pulsewire_alerting_dirty_devices',
      help: 'Devices whose alarm state changed since it was last written (ADR 0006): their partitions are committed no further than their first unwritten record.',
      registers,
    }),
    stateRestored: new Counter({
      name: 'pulsewire_alerting_state_restored_total',
      help: 'Device states restored from the compacted state channel.',
      registers,
    }),
  }
}

export type AlertingMetrics = ReturnType<typeof createAlertingMetrics>

/** Why a device's state record was written (pulsewire_alerting_state_writes_total). */
export type StateWriteReason = 'transition' | 'max_dirty' | 'stop'
