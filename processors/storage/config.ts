import { z } from 'zod'
import { httpSchema, influxSchema, kafkaSchema, logSchema, shutdownSchema } from '../../core/config/shared.js'

export const DEFAULT_STORAGE_GROUP = 'pulsewire-storage'

export const storageConfigSchema = z.strictObject({
  kafka: kafkaSchema.prefault({}).describe('Kafka the telemetry channels are read from.'),
  influx: influxSchema.prefault({}).describe('InfluxDB the points are written to.'),
  groupId: z
    .string()
    .min(1)
    .default(DEFAULT_STORAGE_GROUP)
    .describe('Consumer group: members share the partitions; offsets are committed after each write.'),
  ensureBucket: z
    .boolean()
    .default(true)
    .describe('Create the database (v1) or bucket (v2) at start when missing (needs the rights).'),
  channels: z
    .strictObject({
      ensure: z
        .boolean()
        .default(true)
        .describe(
          'Create missing telemetry and DLQ channels and reconcile existing ones at start (needs topic-create and alter-config rights); durability is `kafka.topics`.',
        ),
    })
    .prefault({})
    .describe('The Kafka channels storage reads and writes.'),
  consumer: z
    .strictObject({
      maxBatchRecords: z
        .number()
        .int()
        .positive()
        .default(1_000)
        .describe(
          'Records per consumer batch. A full batch means more are waiting, so it is written at once instead of after batch.maxWaitMs.',
        ),
      fetchWaitMs: z
        .number()
        .int()
        .positive()
        .default(10)
        .describe('How long a fetch waits for the next record before handing over a partial batch.'),
      fromBeginning: z
        .boolean()
        .default(true)
        .describe(
          'Where a group without committed offsets starts: the oldest retained record (true) or new ones only.',
        ),
    })
    .prefault({})
    .describe('How records are read from Kafka.'),
  batch: z
    .strictObject({
      maxPoints: z
        .number()
        .int()
        .positive()
        .max(100_000)
        .default(5_000)
        .describe('Points per InfluxDB write request; a full buffer is written at once.'),
      maxWaitMs: z
        .number()
        .int()
        .positive()
        .default(250)
        .describe('How long the first buffered point waits for others before the buffer is written anyway.'),
    })
    .prefault({})
    .describe('Batching of InfluxDB writes (by size and by time).'),
  retry: z
    .strictObject({
      minDelayMs: z
        .number()
        .int()
        .positive()
        .default(200)
        .describe(
          'First delay after a failed InfluxDB write or DLQ produce; doubles per attempt, with jitter.',
        ),
      maxDelayMs: z
        .number()
        .int()
        .positive()
        .default(10_000)
        .describe('Delay cap. Retries never stop while storage runs: an outage makes it lag, never drop.'),
    })
    .refine((r) => r.minDelayMs <= r.maxDelayMs, {
      message: 'minDelayMs must not exceed maxDelayMs',
      path: ['minDelayMs'],
    })
    .prefault({})
    .describe('Retries of InfluxDB writes and DLQ produces.'),
  http: httpSchema(9102).prefault({}).describe('The /metrics, /healthz and /readyz server.'),
  log: logSchema.prefault({}).describe('Logging.'),
  shutdown: shutdownSchema.prefault({}).describe('Graceful stop.'),
})

export type StorageConfig = z.output<typeof storageConfigSchema>
