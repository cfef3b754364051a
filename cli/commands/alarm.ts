import { userInfo } from 'node:os'
import { InvalidArgumentError, type Command } from 'commander'
import { pino } from 'pino'
import { z } from 'zod'
import { MAX_SILENCE_WIRE_MS, type AlertCommandKind } from '../../core/alerts/alert-command.js'
import { buildAlertCommand, createAlertCommandSender } from '../../core/alerts/command-sender.js'
import { parseAlertId } from '../../core/alerts/alert-event.js'
import { loadConfig } from '../../core/config/load.js'
import { kafkaSchema } from '../../core/config/shared.js'
import { say } from '../context.js'

interface AlarmOptions {
  by?: string
  reason?: string
  for?: number
  json?: boolean
}

const EXAMPLES = `
Examples:
  # acknowledge a latched desaturation alarm (the id is in every alert event)
  pulsewire alarm ack bm-0001/spo2-low/3 --by nurse-17 --reason "at the bedside"

  # pause its audio for 60 s (alerting caps a pause at alarms.silenceMaxMs, 120 s by default)
  pulsewire alarm silence bm-0001/spo2-low/3 --for 60

  # reset it once SpO2 has recovered; the next desaturation raises a new episode (…/spo2-low/4)
  pulsewire alarm reset bm-0001/spo2-low/3 --reason "probe repositioned"

Kafka: PULSEWIRE__KAFKA__BROKERS (default 127.0.0.1:19092). The command is applied by alerting,
which emits the acknowledged / silenced / reset event on alerts.events.v1, or logs why it refused it
(pulsewire_alerting_commands_total{outcome}).
`

const SUBCOMMANDS: ReadonlyArray<{ name: string; command: AlertCommandKind; description: string }> = [
  {
    name: 'ack',
    command: 'acknowledge',
    description:
      'Acknowledge an alert: stops its escalation; on a latched alarm whose condition has ended it is also the reset.',
  },
  {
    name: 'silence',
    command: 'silence',
    description: 'Pause the audio of an alert for a bounded time (--for); not an acknowledgement.',
  },
  {
    name: 'reset',
    command: 'reset',
    description: 'Reset a latched alarm whose condition has ended; the next crossing raises a new episode.',
  },
]

function seconds(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n * 1000 > MAX_SILENCE_WIRE_MS)
    throw new InvalidArgumentError(`expected whole seconds 1–${MAX_SILENCE_WIRE_MS / 1000}, got "${value}"`)
  return n
}

function alertIdArgument(value: string): string {
  if (!parseAlertId(value))
    throw new InvalidArgumentError(`expected <deviceId>/<ruleId>/<episode>, got "${value}"`)
  return value
}

export function registerAlarm(program: Command): void {
  const alarm = program
    .command('alarm')
    .description(
      'Operator alarm commands (acknowledge, silence, reset) to alerts.commands.v1; alerting applies them ' +
        'and emits the transition with who, when and why.',
    )
    .addHelpText('after', EXAMPLES)
  for (const sub of SUBCOMMANDS) {
    const command = alarm
      .command(sub.name)
      .description(sub.description)
      .argument('<alertId>', 'the alert: <deviceId>/<ruleId>/<episode>', alertIdArgument)
      .option('--by <name>', 'who acts (default: the operating-system user)')
      .option('--reason <text>', 'why, for the audit trail (no patient names)')
      .option('--json', 'print the command as JSON once Kafka has it')
    if (sub.command === 'silence')
      command.option(
        '--for <seconds>',
        'audio pause length (default: alerting’s alarms.silenceDefaultMs)',
        seconds,
      )
    command.action((alertId: string, options: AlarmOptions) => sendCommand(sub.command, alertId, options))
  }
}

async function sendCommand(kind: AlertCommandKind, alertId: string, options: AlarmOptions): Promise<void> {
  const { kafka } = loadConfig({
    schema: z.strictObject({ kafka: kafkaSchema.prefault({}) }),
    env: process.env,
  })
  const command = buildAlertCommand({
    command: kind,
    alertId,
    by: options.by ?? userInfo().username,
    atMs: Date.now(),
    reason: options.reason,
    durationMs: options.for !== undefined ? options.for * 1000 : undefined,
    source: 'cli',
  })
  const sender = createAlertCommandSender(kafka, `${kafka.clientId}-alarm`, pino({ level: 'silent' }))
  await sender.start()
  try {
    const report = await sender.send(command)
    if (options.json) say(JSON.stringify({ ...command, partition: report.partition, offset: report.offset }))
    else say(`${kind} ${alertId} by ${command.by}: command ${command.commandId} is in ${report.topic}`)
  } finally {
    await sender.stop()
  }
}
