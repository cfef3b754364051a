import { resolve } from 'node:path'
import { z } from 'zod'
import { httpSchema, kafkaSchema, logSchema, shutdownSchema } from '../../core/config/shared.js'
import { ConfigError, type ConfigIssue } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import {
  issuesAt,
  issuesUnder,
  parsePluginList,
  type PluginListEntry,
  type PluginListSpec,
} from '../../core/plugins/plugin-list.js'
import type { Clock } from '../../core/clock.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { sinkFilterSchema, type SinkFilter } from './filter.js'
import { SINK_TYPES } from './index.js'
import { selfWatchSchema } from './self-watch.js'
import type { DeliveryPolicy } from './runner.js'
import type { RegisteredSink, Sink } from './sink.js'

export const DEFAULT_GROUP_PREFIX = 'pulsewire-sink-'
export const DEFAULT_DEAD_LETTER_DIR = '.pulsewire/sinks'
export const SINKS_HTTP_PORT = 9104

/** The alert-sinks process (`pulsewire alerts`): settings every sink shares, and the sinks. */
export const sinksFileSchema = z.strictObject({
  kafka: kafkaSchema.prefault({}).describe('Kafka the alert channel is read from.'),
  channel: z
    .string()
    .min(1)
    .default(CHANNELS.alertEvents)
    .describe('The alert channel (protobuf AlertEvent, written in transactions, read committed).'),
  groupPrefix: z
    .string()
    .min(1)
    .default(DEFAULT_GROUP_PREFIX)
    .describe('Consumer group of a sink without its own groupId: <groupPrefix><name>.'),
  fromBeginning: z
    .boolean()
    .default(false)
    .describe(
      'Where a sink whose group has no committed offset starts: the oldest retained event (true) or new events only.',
    ),
  deadLetterDir: z
    .string()
    .min(1)
    .default(DEFAULT_DEAD_LETTER_DIR)
    .describe(
      'Directory of the dead-letter files (<name>.dead-letters.jsonl) of sinks without deadLetterFile.',
    ),
  sinks: z
    .array(z.unknown())
    .min(1, 'configure at least one sink')
    .describe('The sinks; each has the common keys below plus its type’s own (<type>/README.md).'),
  selfWatch: selfWatchSchema
    .prefault({})
    .describe('Technical alarms about the sinks themselves, delivered through the sinks that still work.'),
  http: httpSchema(SINKS_HTTP_PORT).prefault({}).describe('The /metrics, /healthz and /readyz server.'),
  log: logSchema.prefault({}).describe('Logging.'),
  shutdown: shutdownSchema.prefault({}).describe('Graceful stop.'),
})

const deliverySchema = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(5)
      .describe('Attempts per transition, the first included; then it is dead-lettered.'),
    timeoutMs: z.number().int().positive().default(10_000).describe('One attempt may take this long.'),
    initialDelayMs: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe('Backoff before the second attempt; doubles per attempt, with full jitter.'),
    maxDelayMs: z.number().int().positive().default(30_000).describe('Backoff cap.'),
  })
  .refine((d) => d.initialDelayMs <= d.maxDelayMs, {
    message: 'initialDelayMs must not exceed maxDelayMs',
    path: ['initialDelayMs'],
  })

/** Keys every sink has, whatever its type; the rest of the entry is the type's config. */
export const commonSinkSchema = z.looseObject({
  type: z.string().describe(`Sink type: ${SINK_TYPES.map((s) => s.type).join(', ')}.`),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lower-case letters, digits and dashes (it names a group and a file)')
    .optional()
    .describe('Unique per process; labels metrics. Default: the type.'),
  groupId: z.string().min(1).optional().describe('Consumer group. Default: <groupPrefix><name>.'),
  deadLetterFile: z
    .string()
    .min(1)
    .optional()
    .describe('Default: <deadLetterDir>/<name>.dead-letters.jsonl.'),
  recentKeys: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Dedupe keys remembered in memory (a redelivered transition is skipped).'),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(20)
    .describe('Transitions per consumer batch, committed together: a crash repeats at most this many.'),
  delivery: deliverySchema.prefault({}).describe('Timeout, retries and dead-lettering.'),
  filter: sinkFilterSchema
    .optional()
    .describe('Only the transitions this matches are delivered; the rest is committed past. Default: all.'),
})

/** How the sinks file lists sinks, for the one plugin-list parser. */
export const SINK_LIST: PluginListSpec<RegisteredSink, typeof commonSinkSchema> = {
  kind: 'sink type',
  registry: SINK_TYPES,
  typeKey: 'type',
  common: commonSinkSchema,
  unique: {
    key: 'name',
    value: (common, plugin) => common.name ?? plugin.type,
    hint: 'give each sink of the same type its own name',
  },
}

/** One configured sink, validated and created (no I/O yet). */
export interface SinkDefinition {
  name: string
  type: string
  groupId: string
  deadLetterFile: string
  recentKeys: number
  batchSize: number
  delivery: DeliveryPolicy
  filter: SinkFilter | undefined
  sink: Sink
}

export type SinksSettings = Omit<z.output<typeof sinksFileSchema>, 'sinks'>

export interface SinksConfig extends SinksSettings {
  sinks: SinkDefinition[]
}

export interface SinkBuildDeps {
  env: Readonly<Record<string, string | undefined>>
  clock: Clock
  /** Called once with the validated log settings; the sinks log through it. */
  logger(config: SinksSettings['log']): Logger
}

/**
 * Validates the whole configuration once and creates every sink, reporting every problem at once
 * with its path (`sinks.2.url`); unknown keys are errors (exit 78).
 */
export function parseSinksConfig(raw: unknown, source: string, deps: SinkBuildDeps): SinksConfig {
  const issues: ConfigIssue[] = []
  const top = sinksFileSchema.safeParse(raw)
  if (!top.success) issues.push(...issuesAt(top.error.issues, []))
  // Sinks are checked even when a shared setting is wrong, so one run lists every problem.
  const settings = top.success ? top.data : sinksFileSchema.parse({ sinks: [null] })
  const logger = deps.logger(settings.log)
  const rawSinks = (raw as { sinks?: unknown } | null | undefined)?.sinks
  const list = parsePluginList(Array.isArray(rawSinks) ? rawSinks : [], ['sinks'], SINK_LIST)
  issues.push(...list.issues)
  const sinks = list.entries.flatMap((entry) => createSink(entry, settings, { ...deps, logger }, issues))
  if (!top.success || issues.length > 0) throw new ConfigError(source, issues)
  return { ...top.data, sinks }
}

function createSink(
  entry: PluginListEntry<RegisteredSink, z.output<typeof commonSinkSchema>>,
  defaults: SinksSettings,
  deps: Omit<SinkBuildDeps, 'logger'> & { logger: Logger },
  issues: ConfigIssue[],
): SinkDefinition[] {
  const { common, plugin } = entry
  const name = common.name ?? plugin.type
  const created = plugin.create(entry.config, { name, logger: deps.logger, clock: deps.clock, env: deps.env })
  if (!created.ok) {
    issues.push(...issuesUnder(created.issues, entry.path))
    return []
  }
  return [
    {
      name,
      type: plugin.type,
      groupId: common.groupId ?? `${defaults.groupPrefix}${name}`,
      deadLetterFile: resolve(
        common.deadLetterFile ?? `${defaults.deadLetterDir}/${name}.dead-letters.jsonl`,
      ),
      recentKeys: common.recentKeys,
      batchSize: common.batchSize,
      delivery: common.delivery,
      filter: common.filter,
      sink: created.sink,
    },
  ]
}
