import { z } from 'zod'
import { topicsSchema, type TopicsConfig } from './topics.js'

/**
 * Config sections every process reuses (Telegraf's plugins/common). Defaults point at the
 * local stack (`pulsewire stack up`), so nothing needs configuring to try Pulsewire.
 * Keys are camelCase so YAML maps 1:1 onto the TypeScript types.
 */

const librdkafkaValue = z.union([z.string(), z.number(), z.boolean()])

export const kafkaSchema = z.strictObject({
  brokers: z
    .string()
    .min(1)
    .default('127.0.0.1:19092')
    .describe('Bootstrap servers, comma-separated host:port (librdkafka metadata.broker.list).'),
  clientId: z.string().min(1).default('pulsewire').describe('Client id reported to the brokers.'),
  librdkafka: z
    .record(z.string(), librdkafkaValue)
    .default({})
    .describe('Raw librdkafka properties (security.protocol, sasl.*, ssl.*); applied last.'),
  topics: topicsSchema
    .prefault({})
    .describe('Durability of the channels: replication factor and min.insync.replicas, per channel.'),
})
/**
 * `topics` is optional in the type (a parsed config always has it): clients built from a bare
 * broker list (the local stack, load tests) only connect, and `ensureTopics` falls back to the
 * schema's defaults for them.
 */
export type KafkaConfig = Omit<z.output<typeof kafkaSchema>, 'topics'> & { topics?: TopicsConfig }

export const influxSchema = z.strictObject({
  url: z.url().default('http://127.0.0.1:18086').describe('Base URL of the InfluxDB HTTP API.'),
  flavor: z
    .enum(['v1', 'v2'])
    .default('v1')
    .describe(
      'v1: InfluxDB 1.8+ through its v2-compatible API (bucket = "database/retention-policy", token = "user:password"). v2: InfluxDB 2.x or Cloud (bucket, org, token).',
    ),
  bucket: z
    .string()
    .min(1)
    .default('telemetry/autogen')
    .describe('Bucket (v2) or "database/retention-policy" (v1).'),
  org: z.string().default('').describe('Organisation name (v2 only; empty for v1).'),
  token: z.string().default('').describe('API token (v2) or "user:password" (v1 with auth enabled).'),
  timeoutMs: z.number().int().positive().default(10_000).describe('HTTP request timeout.'),
})
export type InfluxConfig = z.output<typeof influxSchema>

export const logSchema = z.strictObject({
  level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Minimum level written to stdout as JSON lines.'),
})
export type LogConfig = z.output<typeof logSchema>

export function httpSchema(defaultPort: number) {
  return z.strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address of the /metrics, /healthz, /readyz server.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(defaultPort)
      .describe('Port of the observability server; 0 picks a free port.'),
  })
}
export type HttpConfig = z.output<ReturnType<typeof httpSchema>>

export const shutdownSchema = z.strictObject({
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(15_000)
    .describe('How long a graceful stop may take before the process exits anyway.'),
})
