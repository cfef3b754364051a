import { Counter, Histogram, type Registry } from 'prom-client'

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600]

/** Every storage_* metric, defined once. Labels come from closed sets: never a device id. */
export function createStorageMetrics(registry: Registry) {
  const registers = [registry]
  return {
    recordsConsumed: new Counter({
      name: 'pulsewire_storage_records_consumed_total',
      help: 'Kafka records handed to storage, by channel (gateway heartbeats are counted apart).',
      labelNames: ['channel'] as const,
      registers,
    }),
    heartbeats: new Counter({
      name: 'pulsewire_storage_heartbeats_total',
      help: 'Gateway heartbeats read on the telemetry channels and skipped (no point, no DLQ record), by channel.',
      labelNames: ['channel'] as const,
      registers,
    }),
    pointsWritten: new Counter({
      name: 'pulsewire_storage_points_written_total',
      help: 'Points acknowledged by InfluxDB, by measurement (a replay counts its points again).',
      labelNames: ['measurement'] as const,
      registers,
    }),
    writeDuration: new Histogram({
      name: 'pulsewire_storage_write_duration_seconds',
      help: 'One InfluxDB write request, by outcome (ok, unavailable, throttled, server_error, refused, rejected).',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    writeRetries: new Counter({
      name: 'pulsewire_storage_write_retries_total',
      help: 'Retried InfluxDB writes and DLQ produces, by reason (unavailable, throttled, server_error, refused, dlq_produce).',
      labelNames: ['reason'] as const,
      registers,
    }),
    dlqRecords: new Counter({
      name: 'pulsewire_storage_dlq_records_total',
      help: 'Records sent to the DLQ channel instead of InfluxDB, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    batchPoints: new Histogram({
      name: 'pulsewire_storage_batch_points',
      help: 'Points per InfluxDB write request.',
      buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000],
      registers,
    }),
    deviceToStored: new Histogram({
      name: 'pulsewire_storage_device_to_stored_seconds',
      help: 'Reading time (device clock) to InfluxDB acknowledgement, per point; backfilled readings excluded.',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    gatewayToStored: new Histogram({
      name: 'pulsewire_storage_gateway_to_stored_seconds',
      help: 'Gateway receive time to InfluxDB acknowledgement, per point.',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  }
}

export type StorageMetrics = ReturnType<typeof createStorageMetrics>
