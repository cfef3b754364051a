import { randomBytes } from 'node:crypto'
import { InvalidArgumentError, type Command } from 'commander'
import { applyEnvOverrides, readConfigFile } from '../../core/config/load.js'
import { ConfigError } from '../../core/errors.js'
import { sinksFileSchema } from '../../processors/sinks/config.js'
import { runAlertSinks } from '../../processors/sinks/main.js'

interface AlertsOptions {
  config?: string
  console?: boolean
  webhook: string[]
  webhookSecretEnv: string
  jsonl: string[]
  mqtt?: string | true
  mqttClientId: string
  mqttSecretEnv: string
  channel?: string
  groupPrefix?: string
  fromBeginning?: boolean
  replay?: boolean
  deadLetterDir?: string
  httpPort?: number
  attempts?: number
  timeoutMs?: number
}

const EXAMPLES = `
Examples:
  # every transition on the terminal, from now on
  pulsewire alerts --console

  # several sinks at once, each its own consumer group (pulsewire-sink-<name>)
  HOOK_SECRET=$(openssl rand -hex 32) pulsewire alerts --console \\
    --webhook http://127.0.0.1:9000/hook --webhook-secret-env HOOK_SECRET \\
    --jsonl alerts.jsonl --mqtt

  # the MQTT sink publishes through the gateway as an enrolled alert publisher
  export PULSEWIRE_MQTT_SECRET=$(pulsewire devices add pulsewire-alerts --role alert-publisher)
  pulsewire alerts --mqtt mqtt://127.0.0.1:1883

  # from a file (unknown keys are errors; exit 78 lists every problem)
  pulsewire alerts --config deploy/sinks/example.yaml

  # export the whole retained alert history without moving any sink's offsets
  pulsewire alerts --replay --jsonl history.jsonl
`

const collect = (value: string, previous: string[]): string[] => [...previous, value]

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${value}"`)
  return n
}

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description(
      'Alert sinks: deliver alerts.events.v1 to the console, webhooks, a JSONL file and MQTT ' +
        '(alerts/{deviceId}, retained) — one consumer group per sink, at least once, deduplicated.',
    )
    .option('-c, --config <file>', 'sinks configuration (YAML), e.g. deploy/sinks/example.yaml')
    .option('--console', 'print one line per transition on stdout (coloured by priority on a terminal)')
    .option('--webhook <url>', 'POST each transition as signed JSON (repeatable)', collect, [])
    .option(
      '--webhook-secret-env <var>',
      'environment variable with the webhook HMAC secret',
      'PULSEWIRE_WEBHOOK_SECRET',
    )
    .option('--jsonl <file>', 'append one JSON line per transition (repeatable)', collect, [])
    .option(
      '--mqtt [url]',
      'republish to alerts/{deviceId} through the gateway (default mqtt://127.0.0.1:1883)',
    )
    .option('--mqtt-client-id <id>', 'identity enrolled with --role alert-publisher', 'pulsewire-alerts')
    .option('--mqtt-secret-env <var>', 'environment variable with its secret', 'PULSEWIRE_MQTT_SECRET')
    .option('--channel <topic>', 'alert channel to read (default alerts.events.v1)')
    .option(
      '--group-prefix <prefix>',
      'consumer group of each sink: <prefix><name> (default pulsewire-sink-)',
    )
    .option('--from-beginning', 'a group without committed offsets starts at the oldest retained event')
    .option('--replay', 'throw-away groups that read the whole channel; committed offsets stay untouched')
    .option('--dead-letter-dir <dir>', 'where <sink>.dead-letters.jsonl files go (default .pulsewire/sinks)')
    .option('--http-port <port>', '/metrics /healthz /readyz port (default 9104; 0 = any)', positiveInt)
    .option('--attempts <n>', 'delivery attempts per transition for the sinks given as flags', positiveInt)
    .option('--timeout-ms <ms>', 'one delivery attempt may take this long (flag sinks)', positiveInt)
    .addHelpText('after', EXAMPLES)
    .action(async (options: AlertsOptions) => {
      process.exitCode = await runAlertSinks({ raw: rawConfig(options), source: source(options) })
    })
}

/** The file (with PULSEWIRE__* overrides), then the flags on top: validated as one configuration. */
function rawConfig(options: AlertsOptions): Record<string, unknown> {
  const fromFile = options.config ? readConfigFile(options.config) : {}
  const raw = applyEnvOverrides(fromFile, process.env, new Set(Object.keys(sinksFileSchema.shape)))
  const overrides = {
    channel: options.channel,
    groupPrefix: options.groupPrefix,
    fromBeginning: options.fromBeginning,
    deadLetterDir: options.deadLetterDir,
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) raw[key] = value
  if (options.httpPort !== undefined) raw.http = { ...(raw.http as object), port: options.httpPort }
  const flagSinks = sinksFromFlags(options)
  if (flagSinks.length > 0)
    raw.sinks = [...(Array.isArray(raw.sinks) ? (raw.sinks as unknown[]) : []), ...flagSinks]
  if (raw.sinks === undefined) {
    throw new ConfigError(source(options), [
      {
        path: 'sinks',
        message: 'no sink: give --console, --webhook URL, --jsonl FILE, --mqtt or --config FILE',
      },
    ])
  }
  if (options.replay) asReplay(raw)
  return raw
}

const source = (options: AlertsOptions): string => options.config ?? 'command line'

function sinksFromFlags(options: AlertsOptions): Record<string, unknown>[] {
  const delivery = {
    ...(options.attempts !== undefined && { attempts: options.attempts }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  }
  const named = (type: string, index: number, count: number): string =>
    count > 1 ? `${type}-${index + 1}` : type
  const sinks: Record<string, unknown>[] = []
  if (options.console) sinks.push({ type: 'console' })
  options.webhook.forEach((url, i, all) =>
    sinks.push({
      type: 'webhook',
      name: named('webhook', i, all.length),
      url,
      secretEnv: options.webhookSecretEnv,
    }),
  )
  options.jsonl.forEach((file, i, all) =>
    sinks.push({ type: 'jsonl', name: named('jsonl', i, all.length), file }),
  )
  if (options.mqtt) {
    sinks.push({
      type: 'mqtt',
      ...(typeof options.mqtt === 'string' && { url: options.mqtt }),
      clientId: options.mqttClientId,
      secretEnv: options.mqttSecretEnv,
    })
  }
  return sinks.map((sink) => (Object.keys(delivery).length > 0 ? { ...sink, delivery } : sink))
}

/** Every sink reads the whole channel in a group of its own, so no real group's offsets move. */
function asReplay(raw: Record<string, unknown>): void {
  const run = randomBytes(3).toString('hex')
  const prefix = typeof raw.groupPrefix === 'string' ? raw.groupPrefix : 'pulsewire-sink-'
  raw.fromBeginning = true
  raw.sinks = (raw.sinks as unknown[]).map((entry) => {
    if (typeof entry !== 'object' || entry === null) return entry
    const sink = entry as Record<string, unknown>
    const group =
      typeof sink.groupId === 'string' ? sink.groupId : `${prefix}${String(sink.name ?? sink.type)}`
    return { ...sink, groupId: `${group}-replay-${run}` }
  })
}
