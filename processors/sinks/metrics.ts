import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * Every sink_* metric, defined once and labelled by configured sink name (a handful per process,
 * never a device or alert id). The runner updates them the same way for every sink type.
 */
export function createSinkMetrics(registry: Registry) {
  const registers = [registry]
  return {
    delivered: new Counter({
      name: 'pulsewire_sink_delivered_total',
      help: 'Alert transitions delivered by the sink (a replay after a restart counts again).',
      labelNames: ['sink'] as const,
      registers,
    }),
    failedAttempts: new Counter({
      name: 'pulsewire_sink_failed_attempts_total',
      help: 'Delivery attempts that failed, by reason (retriable, timeout, permanent).',
      labelNames: ['sink', 'reason'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'pulsewire_sink_retries_total',
      help: 'Delivery attempts made again after a retriable failure.',
      labelNames: ['sink'] as const,
      registers,
    }),
    deadLettered: new Counter({
      name: 'pulsewire_sink_dead_lettered_total',
      help: 'Transitions written to the dead-letter file instead, by reason (exhausted, permanent).',
      labelNames: ['sink', 'reason'] as const,
      registers,
    }),
    duplicatesSkipped: new Counter({
      name: 'pulsewire_sink_duplicates_skipped_total',
      help: 'Transitions skipped because the same dedupe key was handled recently.',
      labelNames: ['sink'] as const,
      registers,
    }),
    undecodable: new Counter({
      name: 'pulsewire_sink_undecodable_records_total',
      help: 'Records on the alert channel that are not an AlertEvent: logged and skipped.',
      labelNames: ['sink'] as const,
      registers,
    }),
    restored: new Counter({
      name: 'pulsewire_sink_restored_events_total',
      help: 'Transitions replayed at start to rebuild a stateful sink (MQTT active alerts).',
      labelNames: ['sink'] as const,
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'pulsewire_sink_delivery_latency_seconds',
      help: 'Alert emitted (alerting processor clock) to delivered by the sink, retries included.',
      labelNames: ['sink'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'pulsewire_sink_attempt_duration_seconds',
      help: 'One delivery attempt, by outcome (ok, failed).',
      labelNames: ['sink', 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    filtered: new Counter({
      name: 'pulsewire_sink_filtered_total',
      help: 'Transitions the sink’s filter does not take: committed past, never retried or dead-lettered.',
      labelNames: ['sink'] as const,
      registers,
    }),
    healthy: new Gauge({
      name: 'pulsewire_sink_healthy',
      help: 'Self-watch: 1 while no technical alarm about the sink is open, 0 while one is (ADR 0017).',
      labelNames: ['sink'] as const,
      registers,
    }),
    watchAlarms: new Counter({
      name: 'pulsewire_sink_watch_alarms_total',
      help: 'Technical alarms raised about the sink, by condition (failing, stalled).',
      labelNames: ['sink', 'condition'] as const,
      registers,
    }),
    position: new Gauge({
      name: 'pulsewire_sink_consumer_position',
      help: 'Next offset the sink will handle, per partition of the alert channel (committed after delivery).',
      labelNames: ['sink', 'partition'] as const,
      registers,
    }),
  }
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>
