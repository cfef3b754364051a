import { z } from 'zod'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import type { SinkPlugin } from '../sink.js'

const COLOURS: Record<AlertEvent['priority'], string> = {
  high: '\x1b[1;31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  unspecified: '',
}
const RESET = '\x1b[0m'
/** Carriage return + erase line: replaces a live progress line instead of writing after it. */
const CLEAR_LINE = '\r\x1b[2K'

/**
 * One readable line per alert transition, coloured by IEC 60601-1-8 priority when asked to. A
 * technical alarm (equipment, not patient: a lost signal, a failing alert sink) says so before
 * its message, as the standard wants them told apart from physiological ones.
 */
export function formatAlertLine(event: AlertEvent, colour: boolean): string {
  const time = new Date(event.eventTsMs).toISOString().slice(11, 19)
  const tag = `${event.priority.toUpperCase().padEnd(6)} ${event.transition.padEnd(12)}`
  const technical = event.kind === 'technical' ? 'TECHNICAL ' : ''
  const late = event.late ? ' (late)' : ''
  const actor = event.actor ? ` [by ${event.actor}]` : ''
  const line = `${time}  ${tag} ${event.deviceId.padEnd(18)} ${event.ruleId.padEnd(20)} ${technical}${event.message}${actor}${late}`
  return colour && COLOURS[event.priority] ? `${COLOURS[event.priority]}${line}${RESET}` : line
}

export const consoleConfigSchema = z.strictObject({
  stream: z
    .enum(['stdout', 'stderr'])
    .default('stdout')
    .describe('Where the lines go; stderr keeps them apart from a program reading stdout.'),
  colour: z
    .enum(['auto', 'always', 'never'])
    .default('auto')
    .describe('Colour by priority: auto = only when the stream is a terminal (TTY).'),
  clearLine: z
    .boolean()
    .default(false)
    .describe('On a terminal, erase the current line first (a live progress line, as in pulsewire up).'),
})
export type ConsoleConfig = z.output<typeof consoleConfigSchema>

export const consoleSink: SinkPlugin<ConsoleConfig> = {
  type: 'console',
  summary: 'One readable line per transition on stdout or stderr, coloured by priority on a terminal.',
  configSchema: consoleConfigSchema,
  create(config) {
    const stream = config.stream === 'stderr' ? process.stderr : process.stdout
    const tty = stream.isTTY === true
    const colour = config.colour === 'always' || (config.colour === 'auto' && tty)
    const prefix = config.clearLine && tty ? CLEAR_LINE : ''
    return {
      deliver: (event) =>
        new Promise<void>((resolve, reject) => {
          // Resolves when the stream took the line: a slow pipe slows the sink, it never piles up.
          stream.write(`${prefix}${formatAlertLine(event, colour)}\n`, (err) =>
            err ? reject(err) : resolve(),
          )
        }),
    }
  },
}
