import { alertId, type AlertEvent, type AlertTransition } from '../../../core/alerts/alert-event.js'
import type { Clock } from '../../../core/clock.js'
import type { MetricName } from '../../../core/telemetry/metric-registry.js'
import type { RuleDefinition } from '../rules/rule-set.js'
import type { DeviceInfo, RuleSignal } from '../rules/rule.js'
import { priorityRank, type Priority } from '../rules/schema-parts.js'

/**
 * The alarm lifecycle every rule shares (domain.md §2.3, §2.4 items 4–5): one open episode per
 * device + rule; repeated crossings update it and never open another; a latched episode ends only
 * by an operator reset after its condition ended. Rules report conditions, this turns them into
 * transitions with deterministic ids (architecture.md §2).
 */
export interface OpenEpisode {
  episode: number
  priority: Priority
  /** Sticky: a latching level was reached during the episode. */
  latching: boolean
  /** The rule's condition is present (false: latched, waiting for a reset). */
  conditionActive: boolean
  acked: boolean
  metric: MetricName | null
  value: number
  limit: number
  /**
   * Alerting-clock time since which the episode has waited for an acknowledgement at its current
   * priority: the escalation timer (commands.ts). Absent in snapshots written before it existed.
   */
  unackedSinceMs?: number
  /** Audio paused until then (alerting clock), by an operator's silence command. */
  silencedUntilMs?: number
  /** Escalations for want of an acknowledgement (absent: none). */
  escalation?: number
  /** Ids of the latest commands applied to the episode: a repeated one is refused, not applied twice. */
  commandIds?: string[]
}

/** What the engine keeps per device + rule. */
export interface RuleRecord {
  type: string
  /** The last episode number used (episodes count from 1 per device + rule). */
  episodes: number
  open: OpenEpisode | null
  state: unknown
}

export interface EventContext {
  device: DeviceInfo
  rule: RuleDefinition
  clock: Clock
}

interface Detail {
  value: number
  limit: number
  tsMs: number
  message: string
  late: boolean
  actor?: string
  commandId?: string
  reason?: string
}

export function toEvent(
  ctx: EventContext,
  open: OpenEpisode,
  transition: AlertTransition,
  d: Detail,
): AlertEvent {
  const now = ctx.clock.now()
  return {
    alertId: alertId(ctx.device.deviceId, ctx.rule.id, open.episode),
    deviceId: ctx.device.deviceId,
    subjectId: ctx.device.subjectId ?? '',
    ruleId: ctx.rule.id,
    ruleType: ctx.rule.type,
    kind: ctx.rule.logic.kind,
    priority: open.priority,
    transition,
    metric: open.metric ?? undefined,
    value: d.value,
    limit: d.limit,
    eventTsMs: d.tsMs,
    emittedTsMs: now,
    latching: open.latching,
    episode: open.episode,
    message: d.message,
    actor: d.actor ?? '',
    late: d.late,
    ...(d.commandId && { commandId: d.commandId }),
    ...(d.reason && { reason: d.reason }),
    ...(open.silencedUntilMs !== undefined &&
      open.silencedUntilMs > now && { silencedUntilMs: open.silencedUntilMs }),
    ...(open.escalation && { escalation: open.escalation }),
  }
}

/** Applies a rule's condition change to its record (mutated) and returns the transitions. */
export function applySignal(
  record: RuleRecord,
  signal: RuleSignal,
  late: boolean,
  ctx: EventContext,
): AlertEvent[] {
  const detail: Detail = {
    value: signal.value,
    limit: signal.limit,
    tsMs: signal.tsMs,
    message: signal.message,
    late,
  }
  const metric = signal.metric ?? ctx.rule.logic.metric ?? null
  const open = record.open
  if (!signal.active) {
    if (!open) return []
    const updated: OpenEpisode = { ...open, value: signal.value, conditionActive: false }
    if (!open.latching) {
      record.open = null
      return [toEvent(ctx, updated, 'cleared', detail)]
    }
    if (!open.conditionActive) return []
    record.open = updated
    return [
      toEvent(ctx, updated, 'updated', { ...detail, message: `${signal.message}; latched until reset` }),
    ]
  }
  const latching = ctx.rule.logic.kind !== 'technical' && signal.latching === true
  if (!open) {
    record.episodes += 1
    const fresh: OpenEpisode = {
      episode: record.episodes,
      priority: signal.priority,
      latching,
      conditionActive: true,
      acked: false,
      metric,
      value: signal.value,
      limit: signal.limit,
      unackedSinceMs: ctx.clock.now(),
    }
    record.open = fresh
    return [toEvent(ctx, fresh, 'raised', detail)]
  }
  const rise = priorityRank(signal.priority) - priorityRank(open.priority)
  const base = { ...open, metric, value: signal.value, limit: signal.limit, conditionActive: true }
  if (rise > 0) {
    // A more severe condition is a new thing to respond to: the earlier acknowledgement, audio
    // pause and escalation do not cover it, and its escalation timer starts now.
    record.open = {
      ...base,
      priority: signal.priority,
      latching: open.latching || latching,
      acked: false,
      unackedSinceMs: ctx.clock.now(),
      silencedUntilMs: undefined,
      escalation: undefined,
    }
    return [toEvent(ctx, record.open, 'escalated', detail)]
  }
  if (rise < 0 && !open.latching) {
    record.open = { ...base, priority: signal.priority }
    return [toEvent(ctx, record.open, 'deescalated', detail)]
  }
  // Same priority, or a latched episode holding its highest priority until reset.
  record.open = { ...base, latching: open.latching || latching }
  return open.conditionActive ? [] : [toEvent(ctx, record.open, 'updated', detail)]
}
