import type { AlertCommand } from '../../../core/alerts/alert-command.js'
import { parseAlertId, type AlertEvent } from '../../../core/alerts/alert-event.js'
import type { Clock } from '../../../core/clock.js'
import type { RuleDefinition } from '../rules/rule-set.js'
import type { Priority } from '../rules/schema-parts.js'
import { toEvent, type EventContext, type OpenEpisode, type RuleRecord } from './episode.js'
import type { DeviceState } from './snapshot.js'

/**
 * Operator commands and escalation on an open episode (domain.md §2.3; IEC 60601-1-8 §6.8
 * inactivation states). Timers run on the alerting clock (the engine's injected Clock), not on
 * event time: they measure how long people have had an alarm in front of them, which a backlog
 * of old readings says nothing about.
 */
export interface AlarmPolicy {
  /** Per priority: an episode unacknowledged this long is escalated once; absent = never. */
  escalateAfterMs: Partial<Record<Priority, number>>
  /** Audio pause: the length when a command names none, and the most any command gets. */
  silence: { defaultMs: number; maxMs: number }
}

/** IEC 60601-1-8 audio pause is 2 min on the monitors in domain.md (Dräger, Alaris); HIGH escalates after 2 min. */
export const DEFAULT_ALARM_POLICY: AlarmPolicy = {
  escalateAfterMs: { high: 120_000 },
  silence: { defaultMs: 120_000, maxMs: 120_000 },
}

/** Why a command changed nothing: a closed set (metric label, log field). */
export const COMMAND_REFUSALS = [
  'unknown_alert',
  'closed',
  'already_acknowledged',
  'condition_active',
  'duplicate',
] as const
export type CommandRefusal = (typeof COMMAND_REFUSALS)[number]

export type CommandResult =
  { ok: true; events: AlertEvent[] } | { ok: false; reason: CommandRefusal; detail: string }

/** How many command ids an episode remembers for duplicate detection (a redelivered MQTT publish). */
const REMEMBERED_COMMANDS = 16

const refuse = (reason: CommandRefusal, detail: string): CommandResult => ({ ok: false, reason, detail })

const seconds = (ms: number): number => Math.round(ms / 1000)

/** Applies one command to the record's open episode (already matched to the command's alert id). */
export function applyCommand(
  record: RuleRecord,
  command: AlertCommand,
  ctx: EventContext,
  policy: AlarmPolicy,
): CommandResult {
  const open = record.open
  if (!open) return refuse('closed', `alert ${command.alertId} has already ended`)
  if (command.commandId !== '' && open.commandIds?.includes(command.commandId))
    return refuse('duplicate', `command ${command.commandId} was already applied`)
  const remember = (next: OpenEpisode): OpenEpisode =>
    command.commandId === ''
      ? next
      : { ...next, commandIds: [...(open.commandIds ?? []), command.commandId].slice(-REMEMBERED_COMMANDS) }
  const detail = {
    value: open.value,
    limit: open.limit,
    tsMs: command.atMs,
    late: false,
    actor: command.by,
    commandId: command.commandId,
    reason: command.reason,
  }
  const why = command.reason ? `: ${command.reason}` : ''
  const reset = (): CommandResult => {
    record.open = null
    const closed = { ...open, acked: true, silencedUntilMs: undefined }
    return {
      ok: true,
      events: [toEvent(ctx, closed, 'reset', { ...detail, message: `Reset by ${command.by}${why}` })],
    }
  }
  switch (command.command) {
    case 'acknowledge': {
      // A latched alarm whose condition has ended: acknowledging it is the alarm reset.
      if (!open.conditionActive) return reset()
      if (open.acked) return refuse('already_acknowledged', 'the alarm is already acknowledged')
      record.open = remember({ ...open, acked: true })
      const message = `Acknowledged by ${command.by}${why}`
      return { ok: true, events: [toEvent(ctx, record.open, 'acknowledged', { ...detail, message })] }
    }
    case 'silence': {
      const pauseMs = Math.min(command.durationMs ?? policy.silence.defaultMs, policy.silence.maxMs)
      record.open = remember({ ...open, silencedUntilMs: ctx.clock.now() + pauseMs })
      const message = `Audio paused by ${command.by} for ${seconds(pauseMs)} s${why}`
      return { ok: true, events: [toEvent(ctx, record.open, 'silenced', { ...detail, message })] }
    }
    case 'reset':
      if (open.conditionActive)
        return refuse(
          'condition_active',
          open.latching
            ? 'the condition is still present; a latched alarm is reset only after it ended'
            : 'the condition is still present; this alarm is not latched and clears by itself',
        )
      return reset()
  }
}

/**
 * Escalates an unacknowledged episode once its priority's time is up, unless its audio is paused:
 * someone has just responded to it, and the pause is short and bounded (AlarmPolicy.silence.maxMs).
 */
export function escalateIfDue(
  record: RuleRecord,
  ctx: EventContext,
  policy: AlarmPolicy,
  nowMs: number,
): AlertEvent[] {
  const open = record.open
  if (!open || open.acked || (open.escalation ?? 0) > 0 || open.unackedSinceMs === undefined) return []
  const afterMs = policy.escalateAfterMs[open.priority]
  if (afterMs === undefined || nowMs < open.unackedSinceMs + afterMs) return []
  if (open.silencedUntilMs !== undefined && open.silencedUntilMs > nowMs) return []
  record.open = { ...open, escalation: 1 }
  const message = `Unacknowledged for ${seconds(nowMs - open.unackedSinceMs)} s; escalated to the next responder`
  return [
    toEvent(ctx, record.open, 'escalated', {
      value: open.value,
      limit: open.limit,
      tsMs: nowMs,
      late: false,
      message,
    }),
  ]
}

/** A command on the engine's devices: matched to its open episode by alert id, then applied. */
export function commandOn(
  devices: ReadonlyMap<string, DeviceState>,
  ruleById: ReadonlyMap<string, RuleDefinition>,
  cmd: AlertCommand,
  clock: Clock,
  policy: AlarmPolicy,
): CommandResult {
  const id = parseAlertId(cmd.alertId)
  const rule = id && ruleById.get(id.ruleId)
  const state = id && devices.get(id.deviceId)
  const record = rule && state?.rules[rule.id]
  if (!id || !rule || !state || !record || id.episode > record.episodes)
    return refuse('unknown_alert', `no alert ${cmd.alertId} on this alerting instance`)
  const open = record.open
  if (!open || open.episode !== id.episode) return refuse('closed', `alert ${cmd.alertId} has already ended`)
  return applyCommand(record, cmd, { device: state.info, rule, clock }, policy)
}

/** Every open episode of these devices whose acknowledgement is overdue now, escalated. */
export function escalateDue(
  states: Iterable<DeviceState>,
  ruleById: ReadonlyMap<string, RuleDefinition>,
  clock: Clock,
  policy: AlarmPolicy,
): AlertEvent[] {
  const now = clock.now()
  const events: AlertEvent[] = []
  for (const state of states) {
    for (const [ruleId, record] of Object.entries(state.rules)) {
      const rule = ruleById.get(ruleId)
      if (!rule || !record.open) continue
      events.push(...escalateIfDue(record, { device: state.info, rule, clock }, policy, now))
    }
  }
  return events
}
