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
  instanceId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Names this instance among those on one host (e.g. a StatefulSet ordinal); part of the transactional id. Default: the process id.',
    ),
  transactionalId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Kafka transactional id; must be unique per instance (two instances with one id fence each other). Default <groupId>-<hostname>-<instanceId>.',
    ),
  fromBeginning: z
    .boolean()
    .default(true)
    .describe('Where a new consumer group starts: the oldest retained record (true) or new records only.'),
  http: httpSchema(9103).prefault({}),
  log: logSchema.prefault({}),
  shutdown: shutdownSchema.prefault({}),
})

export type AlertingConfig = z.output<typeof alertingConfigSchema>
