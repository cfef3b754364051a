import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { pino } from 'pino'
import { z } from 'zod'
import { loadConfig } from '../../core/config/load.js'
import { kafkaSchema, type KafkaConfig } from '../../core/config/shared.js'
import { ConfigError } from '../../core/errors.js'
import { decodeTelemetry } from '../../core/telemetry/envelope.js'
import { gatewayConfigSchema } from '../../gateway/config.js'
import { openDeviceStoreFile } from '../../gateway/device-store/open-device-store.js'
import {
  listDlq,
  redriveDlq,
  showDlq,
  type DlqSelection,
  type RedriveSummary,
} from '../../processors/dlq/dlq.js'
import { dlqEntry, hexDump, type DlqEntry } from '../../processors/dlq/entry.js'
import { parsePosition } from '../../processors/replay/positions.js'
import { say } from '../context.js'

interface FilterOptions {
  since?: string
  reason: string[]
  device?: string
  json?: boolean
}

const EXAMPLES = `
Examples:
  pulsewire dlq list --since -24h --reason too_many_samples --limit 20
  pulsewire dlq show 1:2041
  # after raising limits.maxSamplesPerMessage in the gateway config (or enrolling a device's right type):
  pulsewire dlq redrive --reason too_many_samples --since -24h --gateway-config gateway.yaml --dry-run
  pulsewire dlq redrive 1:2041 0:17 --gateway-config gateway.yaml

A re-driven record goes through the gateway's own validation again (the device store and limits of
--gateway-config, time judged as at its original receipt), and, when it passes, to its telemetry channel
with its original bytes, key and receive time (device, boot and seq unchanged) and a pw-redriven-from
header: storage stores it, alerting treats its readings as late. Idempotent: the ids re-driven are kept
in the compacted telemetry.dlq.redriven.v1, written in the same transaction as the copy.
Kafka: the gateway config's kafka (or PULSEWIRE__KAFKA__BROKERS).
`

const collect = (value: string, previous: string[]): string[] => [
  ...previous,
  ...value.split(',').filter(Boolean),
]

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`)
  return n
}

function withFilters(command: Command): Command {
  return command
    .option('--since <time>', 'only records received since: an ISO time with zone or -<duration> (-24h)')
    .option('--reason <code>', 'only this reject reason (repeatable, or comma-separated)', collect, [])
    .option('--device <id>', 'only this device (its DLQ partition alone is read)')
    .option('--json', 'JSON output')
}

const kafkaOnly = (): KafkaConfig =>
  loadConfig({ schema: z.strictObject({ kafka: kafkaSchema.prefault({}) }), env: process.env }).kafka

function selection(options: FilterOptions, ids: readonly string[] = []): DlqSelection {
  const since = options.since === undefined ? undefined : parsePosition(options.since, 'from', Date.now())
  if (since && since.kind !== 'time')
    throw new InvalidArgumentError(`--since takes a time, got "${options.since?.slice(0, 40)}"`)
  return {
    sinceMs: since?.kind === 'time' ? since.ms : undefined,
    reasons: options.reason,
    device: options.device,
    ids,
  }
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('Rejected payloads on telemetry.dlq.v1: list and inspect them, re-drive them after a fix.')
    .addHelpText('after', EXAMPLES)
  withFilters(
    dlq
      .command('list')
      .description('List DLQ records: time, reason, device, topic, size, a decoded summary.'),
  )
    .option('--limit <n>', 'at most this many (the latest)', positiveInt, 50)
    .action(async (options: FilterOptions & { limit: number }) => {
      const entries = await listDlq(kafkaOnly(), selection(options), options.limit)
      if (options.json) say(JSON.stringify(entries))
      else say(formatList(entries))
    })
  dlq
    .command('show')
    .description('One DLQ record: headers, reason, a hex dump of its first bytes, its decoded fields.')
    .argument('<id>', '<partition>:<offset>, as dlq list prints it')
    .option('--json', 'JSON output')
    .action(async (id: string, options: { json?: boolean }) => {
      const record = await showDlq(kafkaOnly(), id)
      const entry = dlqEntry(record)
      const headers = Object.fromEntries(
        Object.entries(record.headers).map(([k, v]) => [k, v.toString('utf8')]),
      )
      const decoded = decodeTelemetry(record.value)
      const fields = decoded.ok ? decoded.value : undefined
      if (options.json) {
        say(
          JSON.stringify({
            ...entry,
            headers,
            fields,
            valueHex: record.value.subarray(0, 256).toString('hex'),
          }),
        )
        return
      }
      say(formatList([entry]))
      say(`detail: ${entry.detail}`)
      say('headers:')
      for (const [k, v] of Object.entries(headers)) say(`  ${k}: ${v}`)
      say(`value (${record.value.length} bytes):`)
      for (const line of hexDump(record.value)) say(`  ${line}`)
      say(fields ? `decoded: ${JSON.stringify(fields)}` : `decoded: ${entry.summary}`)
    })
  withFilters(
    dlq
      .command('redrive')
      .description('Run selected DLQ records through the gateway validation again; produce those that pass.')
      .argument('[ids...]', '<partition>:<offset> ids (else: every record the filters select)'),
  )
    .option('--gateway-config <file>', 'gateway settings (YAML): its device store, limits and Kafka')
    .option('--dry-run', 'judge and count only; nothing is produced')
    .action(async (ids: string[], options: FilterOptions & { gatewayConfig?: string; dryRun?: boolean }) => {
      const select = selection(options, ids)
      if (ids.length === 0 && !options.since && options.reason.length === 0 && !options.device)
        throw new ConfigError('command line', [
          { path: 'redrive', message: 'select records: ids, or --since / --reason / --device' },
        ])
      const config = loadConfig({
        schema: gatewayConfigSchema,
        file: options.gatewayConfig,
        env: process.env,
      })
      const storeFile = resolve(config.registry.file)
      if (!existsSync(storeFile))
        throw new ConfigError(options.gatewayConfig ?? 'defaults', [
          { path: 'registry.file', message: `${storeFile} does not exist` },
        ])
      const summary = await redriveDlq({
        kafka: config.kafka,
        selection: select,
        directory: openDeviceStoreFile(storeFile),
        limits: config.limits,
        dryRun: options.dryRun === true,
        logger: pino({ level: 'warn' }, pino.destination(2)),
        nowMs: () => Date.now(),
      })
      say(options.json ? JSON.stringify(summary) : formatRedrive(summary, options.dryRun === true))
    })
}

function formatList(entries: readonly DlqEntry[]): string {
  if (entries.length === 0) return 'no DLQ records match'
  return entries
    .map(
      (e) =>
        `${e.id.padEnd(9)} ${new Date(e.timeMs).toISOString()} ${e.reason.padEnd(20)} ${(e.device ?? '-').padEnd(20)} ` +
        `${(e.topic ?? '-').padEnd(28)} ${String(e.size).padStart(7)} B  ${e.summary}`,
    )
    .join('\n')
}

function formatRedrive(s: RedriveSummary, dryRun: boolean): string {
  const c = s.counts
  const rejected = Object.entries(s.stillRejectedBy).map(([k, v]) => `${k} ${v}`)
  const lines = s.results.map(
    (r) =>
      `  ${r.id} ${r.device ?? '-'}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}` +
      `${r.seq !== undefined ? ` boot ${r.bootId} seq ${r.seq} → ${r.topic}` : ''}${r.detail && !r.reason ? ` (${r.detail})` : ''}`,
  )
  return [
    `${dryRun ? 'dry run: ' : ''}${s.selected} selected: ${dryRun ? 'would re-drive' : 're-driven'} ${c.redriven}, ` +
      `still rejected ${c.still_rejected}${rejected.length > 0 ? ` (${rejected.join(', ')})` : ''}, ` +
      `already re-driven ${c.already_redriven}, not re-drivable ${c.not_redrivable}`,
    ...lines,
  ].join('\n')
}
