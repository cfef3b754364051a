import { InvalidArgumentError, Option, type Command } from 'commander'
import { pino } from 'pino'
import { z } from 'zod'
import { systemClock } from '../../core/clock.js'
import { applyEnvOverrides, loadConfig, readConfigFile } from '../../core/config/load.js'
import { kafkaSchema, type KafkaConfig } from '../../core/config/shared.js'
import { ConfigError } from '../../core/errors.js'
import { parsePosition } from '../../processors/replay/positions.js'
import {
  checkReplay,
  runReplay,
  type ReplayInto,
  type ReplayProgress,
  type ReplaySummary,
} from '../../processors/replay/replay.js'
import {
  createDryRunTarget,
  createSinkTarget,
  createStorageTarget,
  type ReplayTarget,
} from '../../processors/replay/targets.js'
import { parseSinksConfig, sinksFileSchema } from '../../processors/sinks/config.js'
import { storageConfigSchema } from '../../processors/storage/config.js'
import { say } from '../context.js'

interface ReplayOptions {
  from: string
  to: string
  partition: number[]
  device?: string
  into?: 'storage' | 'sink' | 'alerting'
  toGroup?: string
  storageConfig?: string
  bucket?: string
  sinksConfig?: string
  sink?: string
  jsonl?: string
  webhook?: string
  webhookSecretEnv: string
  dryRun?: boolean
  json?: boolean
}

const EXAMPLES = `
Examples:
  # rebuild one day of vitals in InfluxDB (same points again: counts do not change)
  pulsewire replay telemetry.vitals.v2 --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z --into storage

  # …into another database, for one device only (its partition alone is read)
  pulsewire replay telemetry.vitals.v2 --from -24h --device bm-0001 --into storage --bucket rebuild/autogen

  # re-drive the last week of alert transitions to a new webhook (or a JSONL file), with the sink's dedupe
  pulsewire replay alerts.events.v1 --from -7d --into sink --webhook https://pager.example/hook
  pulsewire replay alerts.events.v1 --from earliest --into sink --jsonl history.jsonl

  # start a brand-new consumer group at a point in time (refused for a group that has offsets)
  pulsewire replay telemetry.vitals.v2 --from -6h --to-group storage-rebuild

  # count only
  pulsewire replay telemetry.environment.v2 --from earliest --into storage --dry-run --json

Positions: --from earliest | <offset> | <ISO time with zone> | -<duration>; --to now (default: the end
offsets when the replay starts, so it terminates) | <offset> | <time>. Times are Kafka record timestamps.
A replay reads with a manually assigned consumer and commits nothing: no group's offsets move.

A replay never re-evaluates telemetry into the live alerts.events.v1 (--into alerting is refused,
REPLAY_LIVE_ALERTS_REFUSED): live sinks would see the same alert ids again. To evaluate rules on history,
use the rule fixtures or \`pulsewire score\`; do not start alerting on a --to-group positioned on telemetry,
since alerting writes the live alert channel.
`

const collect = (value: string, previous: number[]): number[] => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a partition number, got "${value}"`)
  return [...previous, n]
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'Re-read a channel from an offset or a time into InfluxDB (storage), an alert sink, or a new consumer ' +
        'group, without moving any committed offsets.',
    )
    .argument('<channel>', 'the channel (Kafka topic) to read, e.g. telemetry.vitals.v2 or alerts.events.v1')
    .option('--from <position>', 'earliest, an offset, a time (ISO with zone) or -<duration>', 'earliest')
    .option('--to <position>', 'now (the end when the replay starts), an offset or a time', 'now')
    .option('--partition <n>', 'read only this partition (repeatable)', collect, [])
    .option('--device <id>', 'only this device: reads the one partition its key is on')
    .addOption(new Option('--into <target>', 'where the records go').choices(['storage', 'sink', 'alerting']))
    .option('--to-group <name>', 'instead: commit the start offsets for this brand-new consumer group')
    .option(
      '--storage-config <file>',
      'storage settings (YAML) for --into storage: Kafka, InfluxDB, batching',
    )
    .option('--bucket <bucket>', 'write into this database/retention policy (v1) or bucket (v2) instead')
    .option('--sinks-config <file>', 'sinks configuration (YAML) for --into sink; pick one with --sink')
    .option('--sink <name>', 'the sink of --sinks-config to re-drive into')
    .option('--jsonl <file>', '--into sink: append the transitions to this JSONL file')
    .option('--webhook <url>', '--into sink: POST the transitions to this webhook')
    .option(
      '--webhook-secret-env <var>',
      'environment variable with the webhook HMAC secret',
      'PULSEWIRE_WEBHOOK_SECRET',
    )
    .option('--dry-run', 'read and count only; nothing is written')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', EXAMPLES)
    .action((channel: string, options: ReplayOptions) => replay(channel, options))
}

async function replay(channel: string, options: ReplayOptions): Promise<void> {
  const into: ReplayInto | undefined = options.toGroup !== undefined ? 'group' : options.into
  if (!into || (options.toGroup !== undefined && options.into))
    throw new ConfigError('command line', [
      { path: '--into', message: 'give exactly one of --into or --to-group' },
    ])
  const now = Date.now()
  const from = parsePosition(options.from, 'from', now)
  const to = parsePosition(options.to, 'to', now)
  const selection = { partitions: options.partition, device: options.device }
  // Refusals (telemetry into the live alerts, a target that cannot take the channel) come first.
  checkReplay({ channel, into, selection, to })
  const logger = pino({ level: 'warn' }, pino.destination(2))
  const { kafka, target } = buildTarget(into, options, logger)
  const chosen = options.dryRun && into !== 'group' ? createDryRunTarget() : target?.()
  const summary = await runReplay({
    kafka,
    channel,
    from,
    to,
    selection,
    into,
    target: chosen,
    groupId: options.toGroup,
    nowMs: () => Date.now(),
    onProgress: progressPrinter(channel),
  })
  say(options.json ? JSON.stringify(summary) : formatSummary(summary, options.dryRun === true))
}

function buildTarget(
  into: ReplayInto,
  options: ReplayOptions,
  logger: pino.Logger,
): { kafka: KafkaConfig; target?: () => ReplayTarget } {
  if (into === 'storage') {
    const config = loadConfig({ schema: storageConfigSchema, file: options.storageConfig, env: process.env })
    const influx = options.bucket ? { ...config.influx, bucket: options.bucket } : config.influx
    const target = (): ReplayTarget =>
      createStorageTarget({ config: { ...config, influx }, clock: systemClock, logger })
    return { kafka: config.kafka, target }
  }
  if (into === 'sink') return sinkTarget(options, logger)
  const { kafka } = loadConfig({
    schema: z.strictObject({ kafka: kafkaSchema.prefault({}) }),
    env: process.env,
  })
  return { kafka }
}

function sinkTarget(
  options: ReplayOptions,
  logger: pino.Logger,
): { kafka: KafkaConfig; target: () => ReplayTarget } {
  const fromFile = options.sinksConfig ? readConfigFile(options.sinksConfig) : {}
  const raw = applyEnvOverrides(fromFile, process.env, new Set(Object.keys(sinksFileSchema.shape)))
  const flagSinks = [
    ...(options.jsonl ? [{ type: 'jsonl', name: 'replay-jsonl', file: options.jsonl }] : []),
    ...(options.webhook
      ? [
          {
            type: 'webhook',
            name: 'replay-webhook',
            url: options.webhook,
            secretEnv: options.webhookSecretEnv,
          },
        ]
      : []),
  ]
  if (flagSinks.length > 0) raw.sinks = flagSinks
  const source = options.sinksConfig ?? 'command line'
  if (raw.sinks === undefined)
    throw new ConfigError(source, [
      { path: 'sinks', message: 'give --jsonl FILE, --webhook URL or --sinks-config FILE --sink NAME' },
    ])
  const config = parseSinksConfig(raw, source, { env: process.env, clock: systemClock, logger: () => logger })
  const wanted = options.sink ?? (config.sinks.length === 1 ? config.sinks[0]?.name : undefined)
  const sink = config.sinks.find((s) => s.name === wanted)
  if (!sink) {
    const names = config.sinks.map((s) => s.name).join(', ')
    throw new ConfigError(source, [{ path: '--sink', message: `name one sink to re-drive into: ${names}` }])
  }
  return { kafka: config.kafka, target: () => createSinkTarget({ sink, clock: systemClock, logger }) }
}

/** One line on stderr at most every second: rate, and position against the end per unfinished partition. */
function progressPrinter(channel: string): (progress: ReplayProgress) => void {
  let lastMs = 0
  return (progress) => {
    const now = Date.now()
    if (now - lastMs < 1_000) return
    lastMs = now
    const open = progress.partitions.filter((p) => p.position < p.to)
    const where = open.map((p) => `p${p.partition} ${p.position}/${p.to}`).join(' ')
    process.stderr.write(
      `replay ${channel}: ${progress.records} records, ${Math.round(progress.recordsPerSecond)}/s; ${where || 'finishing'}\n`,
    )
  }
}

export function formatSummary(s: ReplaySummary, dryRun: boolean): string {
  const head = `${dryRun ? 'dry run: ' : ''}replay ${s.channel}${s.device ? ` (device ${s.device})` : ''} → ${s.target}`
  if (s.into === 'group') {
    const lines = s.partitions.map((p) => `  partition ${p.partition}: starts at ${p.from} (end now ${p.to})`)
    return [`${head}: group ${s.groupId} positioned on ${s.partitions.length} partitions`, ...lines].join(
      '\n',
    )
  }
  const reasons = Object.entries(s.skipReasons).map(([k, v]) => `${k} ${v}`)
  const lines = s.partitions.map(
    (p) =>
      `  partition ${p.partition} [${p.from}, ${p.to}): read ${p.read}, written ${p.written}, skipped ${p.skipped}`,
  )
  return [
    `${head}: read ${s.read}, ${dryRun ? 'would write' : 'written'} ${s.written}, skipped ${s.skipped}` +
      `${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''} in ${(s.durationMs / 1000).toFixed(1)} s`,
    ...lines,
  ].join('\n')
}
