import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { OutgoingRecord } from '../kafka/records.js'
import { err, ok, type Result } from '../result.js'
import { HEADERS } from '../telemetry/headers.js'
import { CHANNELS } from '../telemetry/topics.js'
import { parseAlertId } from './alert-event.js'

/**
 * Operator commands on alerts.commands.v1 (IEC 60601-1-8 vocabulary, domain.md §2.3), key = the
 * alert's device id so a command reaches the alerting member that owns the device's state:
 * - acknowledge: "I have seen it"; stops the escalation timer. On a latched alarm whose condition
 *   has ended it is also the alarm reset (the latch has done its job once someone saw it).
 * - silence: audio paused for a bounded time; does not acknowledge.
 * - reset: ends a latched alarm whose condition has ended and re-arms the rule.
 */
export const ALERT_COMMANDS = ['acknowledge', 'silence', 'reset'] as const
export type AlertCommandKind = (typeof ALERT_COMMANDS)[number]

/** Where a command came from (audit): the CLI, or a clinician app over MQTT through the gateway. */
export const ALERT_COMMAND_SOURCES = ['cli', 'mqtt', 'web'] as const
export type AlertCommandSource = (typeof ALERT_COMMAND_SOURCES)[number]

/** Longest audio pause anyone may ask for on the wire; alerting caps it further (alarms.silence.maxMs). */
export const MAX_SILENCE_WIRE_MS = 15 * 60_000

const text = (max: number) => z.string().max(max)

/** The record value on alerts.commands.v1 (JSON). */
export const alertCommandSchema = z.strictObject({
  v: z.literal(1),
  /** Unique per command: the audit trail names it, and a repeated id is refused as a duplicate. */
  commandId: z.string().min(1).max(128),
  command: z.enum(ALERT_COMMANDS),
  alertId: z.string().min(3).max(300),
  /** Who: the operator id (for MQTT, the authenticated client id, never the payload's claim). */
  by: z.string().min(1).max(128),
  /** When the operator acted, ms since the epoch (CLI clock, or gateway receive time). */
  atMs: z.number().int().nonnegative(),
  /** Why, free text from the operator; never patient-identifying. */
  reason: text(500).default(''),
  /** silence only: the requested audio pause. */
  durationMs: z.number().int().positive().max(MAX_SILENCE_WIRE_MS).optional(),
  source: z.enum(ALERT_COMMAND_SOURCES),
})
export type AlertCommand = z.output<typeof alertCommandSchema>

/** What a clinician app publishes on the MQTT command topic: who and when are the gateway's. */
export const mqttAlertCommandSchema = z.strictObject({
  commandId: z.string().min(1).max(128).optional(),
  command: z.enum(ALERT_COMMANDS),
  alertId: z.string().min(3).max(300),
  reason: text(500).optional(),
  durationMs: z.number().int().positive().max(MAX_SILENCE_WIRE_MS).optional(),
  /** Ignored: the gateway puts the authenticated operator id here. */
  by: z.string().max(128).optional(),
})

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  return issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid'
}

function parseJson(bytes: Buffer): Result<unknown, string> {
  try {
    return ok(JSON.parse(bytes.toString('utf8')) as unknown)
  } catch {
    return err('not JSON')
  }
}

/** Decodes a command record; bad records are values, never exceptions. */
export function decodeAlertCommand(bytes: Buffer): Result<AlertCommand, string> {
  const json = parseJson(bytes)
  if (!json.ok) return json
  const parsed = alertCommandSchema.safeParse(json.value)
  if (!parsed.success) return err(firstIssue(parsed.error))
  if (!parseAlertId(parsed.data.alertId)) return err('alertId: not <deviceId>/<ruleId>/<episode>')
  return ok(parsed.data)
}

/**
 * A command from an MQTT publish: validated, with the operator's authenticated id as `by` and the
 * gateway's receive time as `atMs` (the payload's own claims are not trusted).
 */
export function commandFromMqtt(
  payload: Buffer,
  operatorId: string,
  rxMs: number,
): Result<AlertCommand, string> {
  const json = parseJson(payload)
  if (!json.ok) return json
  const parsed = mqttAlertCommandSchema.safeParse(json.value)
  if (!parsed.success) return err(firstIssue(parsed.error))
  const command = parsed.data
  if (!parseAlertId(command.alertId)) return err('alertId: not <deviceId>/<ruleId>/<episode>')
  return ok(
    alertCommandSchema.parse({
      v: 1,
      ...command,
      commandId: command.commandId ?? randomUUID(),
      by: operatorId, // the payload's `by` is a claim; the authenticated client id replaces it
      atMs: rxMs,
      source: 'mqtt',
    }),
  )
}

/** The record for alerts.commands.v1: key = the alert's device id. */
export function alertCommandRecord(command: AlertCommand): OutgoingRecord {
  const parsed = parseAlertId(command.alertId)
  if (!parsed) throw new TypeError(`not an alert id: ${command.alertId}`)
  return {
    topic: CHANNELS.alertCommands,
    key: parsed.deviceId,
    value: Buffer.from(JSON.stringify(command)),
    headers: { [HEADERS.alertId]: command.alertId, [HEADERS.command]: command.command },
  }
}
