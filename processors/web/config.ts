import { z } from 'zod'
import { loadConfig, type LoadedConfig } from '../../core/config/load.js'
import { influxSchema, kafkaSchema, logSchema, shutdownSchema } from '../../core/config/shared.js'

/** `pulsewire web`: the central-station console (processors/web/README.md). */
export const webConfigSchema = z.strictObject({
  http: z
    .strictObject({
      host: z
        .string()
        .min(1)
        .default('127.0.0.1')
        .describe(
          'Address the console binds to; loopback by default (a patient console is not for the open network).',
        ),
      port: z
        .number()
        .int()
        .min(0)
        .max(65_535)
        .default(8080)
        .describe('Port of the console, its /metrics, /healthz and /readyz; 0 picks a free port.'),
    })
    .prefault({}),
  kafka: kafkaSchema.prefault({}),
  influx: influxSchema.prefault({}),
  log: logSchema.prefault({}),
  shutdown: shutdownSchema.prefault({}),
  consumerGroup: z
    .string()
    .min(1)
    .default('pulsewire-web')
    .describe('Consumer-group prefix of the console (alerts and telemetry tap get -alerts and -tap).'),
  users: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .default('.pulsewire/web-users.json')
        .describe('Users file (names, roles, scrypt hashes), managed by `pulsewire web user add`.'),
    })
    .prefault({}),
  audit: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .default('.pulsewire/web-audit.jsonl')
        .describe('Audit trail: one JSON line per sign-in, sign-out, failed sign-in and alarm action.'),
      recent: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(200)
        .describe('Audit entries kept in memory for the alarm view.'),
    })
    .prefault({}),
  sessions: z
    .strictObject({
      ttlMs: z
        .number()
        .int()
        .positive()
        .default(8 * 3_600_000)
        .describe('How long a sign-in lasts (one shift).'),
      maxFailures: z
        .number()
        .int()
        .min(1)
        .default(5)
        .describe('Failed sign-ins per user before sign-in is refused for lockoutMs.'),
      lockoutMs: z
        .number()
        .int()
        .positive()
        .default(60_000)
        .describe('How long a user is locked out after maxFailures failed sign-ins.'),
    })
    .prefault({}),
  alarms: z
    .strictObject({
      lookbackMs: z
        .number()
        .int()
        .positive()
        .default(24 * 3_600_000)
        .describe(
          'Alert events older than this are ignored when the active alarms are rebuilt from the alerts channel at start.',
        ),
      recent: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(500)
        .describe('Ended alarms kept for the recent list.'),
    })
    .prefault({}),
  tap: z
    .strictObject({
      maxDevices: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(10_000)
        .describe('Devices the telemetry tap keeps (least recently heard dropped first).'),
      trendPoints: z
        .number()
        .int()
        .min(2)
        .max(10_000)
        .default(60)
        .describe('Points of the trend line kept per device and metric.'),
      throttleMs: z
        .number()
        .int()
        .min(0)
        .default(1_000)
        .describe('At most one live reading update per device per this many ms to browsers.'),
      silentAfterMs: z
        .number()
        .int()
        .positive()
        .default(30_000)
        .describe('A device not heard from for this long is shown as communication loss.'),
    })
    .prefault({}),
  sse: z
    .strictObject({
      buffer: z
        .number()
        .int()
        .min(16)
        .max(1_000_000)
        .default(10_000)
        .describe('Live events kept for reconnecting browsers (Last-Event-ID); older gaps get a resync.'),
    })
    .prefault({}),
  pipeline: z
    .strictObject({
      metricsUrls: z
        .array(z.url())
        .default([
          'http://127.0.0.1:9101/metrics',
          'http://127.0.0.1:9102/metrics',
          'http://127.0.0.1:9103/metrics',
        ])
        .describe(
          'Prometheus endpoints the pipeline view scrapes (gateway, storage, alerting of `pulsewire up`).',
        ),
      scrapeIntervalMs: z
        .number()
        .int()
        .min(500)
        .default(5_000)
        .describe('How often the pipeline view scrapes them.'),
    })
    .prefault({}),
})

export type WebConfig = LoadedConfig<typeof webConfigSchema>

export function loadWebConfig(file: string | undefined, env: NodeJS.ProcessEnv): WebConfig {
  return loadConfig({ schema: webConfigSchema, file, env })
}
