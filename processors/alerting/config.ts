import { z } from 'zod'
import { httpSchema, kafkaSchema, logSchema, shutdownSchema } from '../../core/config/shared.js'

export const alertingConfigSchema = z.strictObject({
  kafka: kafkaSchema.prefault({}),
  groupId: z
    .string()
    .min(1)
    .default('pulsewire-alerting')
    .describe('Consumer group; run more instances to scale out.'),
  rulesFile: z
    .string()
    .min(1)
    .default('deploy/rules/default.yaml')
    .describe('Alert rules (YAML), validated at start; relative to the working directory.'),
  maxBatchSize: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe('Records evaluated per batch (one commit each).'),
  transactionalId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Kafka transactional id; unique per instance and stable across its restarts (default <groupId>-<hostname>).',
    ),
  dedupe: z
    .strictObject({
      windowSeqs: z
        .number()
        .int()
        .min(64)
        .max(1 << 20)
        .default(1024)
        .describe(
          'Sequence numbers remembered per device boot: a resent copy up to this far behind the newest seq is dropped (1 bit each; 1024 = 17 min at 1 Hz, 17 h at one a minute). Older records are evaluated and counted.',
        ),
      maxDevices: z
        .number()
        .int()
        .positive()
        .default(50_000)
        .describe(
          'Devices tracked by duplicate detection (least recently seen forgotten first; about windowSeqs / 8 bytes per boot, 3 boots).',
        ),
    })
    .prefault({})
    .describe('Duplicate detection by (device, boot, seq) (ADR 0004).'),
  fromBeginning: z
    .boolean()
    .default(true)
    .describe('Where a new consumer group starts: the oldest retained record (true) or new records only.'),
  http: httpSchema(9103).prefault({}),
  log: logSchema.prefault({}),
  shutdown: shutdownSchema.prefault({}),
})

export type AlertingConfig = z.output<typeof alertingConfigSchema>
