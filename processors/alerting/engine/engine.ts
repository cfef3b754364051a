import type { AlertCommand } from '../../../core/alerts/alert-command.js'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import type { Clock } from '../../../core/clock.js'
import {
  DEVICE_TYPES,
  sampleTime,
  type DeviceType,
  type TelemetryEnvelope,
} from '../../../core/telemetry/envelope.js'
import type { MetricName } from '../../../core/telemetry/metric-registry.js'
import type { RuleDefinition, RuleSet } from '../rules/rule-set.js'
import type {
  DeviceInfo,
  LifecycleEvent,
  LifecycleInput,
  ResumeInput,
  RuleLogic,
  RuleStep,
  SampleInput,
} from '../rules/rule.js'
import { isMeasurement } from '../rules/plausibility.js'
import {
  commandOn,
  DEFAULT_ALARM_POLICY,
  escalateDue,
  type AlarmPolicy,
  type CommandResult,
} from './commands.js'
import { applySignal, type RuleRecord } from './episode.js'
import { encodeDeviceState, restoreDeviceState, type DeviceState } from './snapshot.js'

export type { DeviceInfo, LifecycleEvent } from '../rules/rule.js'
export { SnapshotError } from './snapshot.js'
export type { AlarmPolicy, CommandRefusal, CommandResult } from './commands.js'

/**
 * The alerting engine: pure, single-threaded, no I/O and no timers. Two clocks, each for what it
 * can judge (ADR 0016): conditions are timed by the device's reading times (while its clock stays
 * within maxDeviceSkewMs of receive time; beyond, by receive time), silence by the gateway's
 * receive-time clock of the device's partition (advance). The injected clock stamps emittedTsMs
 * and times what people do with an alarm: escalation and audio pause (commands.ts).
 */
export interface AlertEngine {
  /** One telemetry message of one device (records of a device arrive in order). Returns the transitions it causes. */
  onTelemetry(envelope: TelemetryEnvelope, device: DeviceInfo, rxMs: number): AlertEvent[]
  /** Connect / disconnect (incl. MQTT last will) of a device, at gateway time atMs. */
  onLifecycle(
    device: DeviceInfo,
    event: LifecycleEvent,
    atMs: number,
    detail?: Pick<LifecycleInput, 'reason' | 'graceMs'>,
  ): AlertEvent[]
  /**
   * A partition's gateway clock (receive time of its latest record or heartbeat) reached clockMs:
   * silence rules of the given devices (all when omitted) fire here. No wall-clock timers, and one
   * device's clock moves no other device.
   */
  advance(clockMs: number, deviceIds?: Iterable<string>): AlertEvent[]
  /** The devices' partition clock resumed at atMs after a gap (ingress was down): their silence timers restart. */
  resume(deviceIds: Iterable<string>, resume: ResumeInput): AlertEvent[]
  /** Operator acknowledgement of an alert (by alertId); returns the 'acknowledged' transition or [] if unknown/cleared. */
  acknowledge(alertId: string, actor: string, atMs: number): AlertEvent[]
  /** An operator command (acknowledge, silence, reset): its transitions, or why it changed nothing. */
  command(command: AlertCommand): CommandResult
  /** Escalates the episodes whose acknowledgement is overdue on the clock; called on a timer and after restores. */
  escalate(): AlertEvent[]
  /** Serialised per-device state (rule states, open episodes, episode counters, last-seen), for a compacted topic keyed by device id; undefined when the device has no state. */
  snapshot(deviceId: string): Buffer | undefined
  /** Restores a device's state from a snapshot (on start / after a rebalance) before its records are processed. Snapshots from an older rule set must not crash (ignore unknown rules). */
  restore(deviceId: string, snapshot: Buffer): void
  /** Device ids whose state changed since the last call (the pipeline then writes their snapshots). */
  takeDirty(): string[]
}

type Hook = (logic: RuleLogic<unknown>, state: unknown, device: DeviceInfo) => RuleStep<unknown> | undefined

/** A device clock further than this from receive time is a clock fault (issue #9: ±5 min). */
export const DEFAULT_MAX_DEVICE_SKEW_MS = 300_000

export function createAlertEngine(deps: {
  ruleSet: RuleSet
  clock: Clock
  policy?: AlarmPolicy
  /** Beyond this |device time − receive time| readings are timed by receive time. */
  maxDeviceSkewMs?: number
}): AlertEngine {
  const { ruleSet, clock } = deps
  const policy = deps.policy ?? DEFAULT_ALARM_POLICY
  const maxSkewMs = deps.maxDeviceSkewMs ?? DEFAULT_MAX_DEVICE_SKEW_MS
  const devices = new Map<string, DeviceState>()
  const dirty = new Set<string>()
  const ruleById = new Map(ruleSet.rules.map((rule) => [rule.id, rule]))
  const rulesByType = new Map<DeviceType, readonly RuleDefinition[]>(
    DEVICE_TYPES.map((type) => [type, ruleSet.rules.filter((rule) => rule.appliesTo.includes(type))]),
  )
  const rulesFor = (type: DeviceType): readonly RuleDefinition[] => rulesByType.get(type) ?? []
  // Samples go only to the rules that read their metric: the hot path at 1 Hz per device.
  const sampleRules = new Map<string, readonly RuleDefinition[]>()
  const sampleRulesFor = (type: DeviceType, metric: MetricName): readonly RuleDefinition[] => {
    const key = `${type}|${metric}`
    let rules = sampleRules.get(key)
    if (!rules) {
      rules = rulesFor(type).filter((r) => r.logic.onSample && r.logic.sampleMetrics.includes(metric))
      sampleRules.set(key, rules)
    }
    return rules
  }
  // Per device, the partition clock its silence rules last saw: advance() only moves it forward.
  const deviceClock = new Map<string, number>()

  function deviceState(device: DeviceInfo): DeviceState {
    const known = devices.get(device.deviceId)
    // A record without a device type (e.g. a lifecycle event without headers) keeps the known one.
    const deviceType =
      device.deviceType === 'unspecified' ? (known?.info.deviceType ?? 'unspecified') : device.deviceType
    const info: DeviceInfo = {
      deviceId: device.deviceId,
      deviceType,
      subjectId: device.subjectId ?? known?.info.subjectId,
      site: device.site ?? known?.info.site,
    }
    if (known) {
      known.info = info
      return known
    }
    const fresh: DeviceState = { info, latestMs: {}, lastMessageMs: null, rules: {} }
    devices.set(device.deviceId, fresh)
    return fresh
  }

  function recordOf(state: DeviceState, rule: RuleDefinition): RuleRecord {
    const existing = state.rules[rule.id]
    if (existing && existing.type === rule.type && existing.state !== null) return existing
    // A new rule, or a retired record whose id was reused: keep counting episodes, start the logic afresh.
    const record: RuleRecord = {
      type: rule.type,
      episodes: existing?.episodes ?? 0,
      open: existing?.type === rule.type ? existing.open : null,
      state: rule.logic.initialState(state.info),
    }
    state.rules[rule.id] = record
    return record
  }

  /** Runs one hook of one rule, keeps its new state and returns the transitions it causes. */
  function run(state: DeviceState, rule: RuleDefinition, late: boolean, hook: Hook): AlertEvent[] {
    const record = recordOf(state, rule)
    const step = hook(rule.logic, record.state, state.info)
    if (!step) return []
    if (step.state !== record.state) dirty.add(state.info.deviceId)
    record.state = step.state
    if (!step.signal) return []
    dirty.add(state.info.deviceId)
    return applySignal(record, step.signal, late, { device: state.info, rule, clock })
  }

  /** Runs the samples through the rules; returns the transitions and how many samples were late. */
  function onSamples(state: DeviceState, envelope: TelemetryEnvelope, shiftMs: number) {
    const events: AlertEvent[] = []
    let lateCount = 0
    for (const s of envelope.samples) {
      const tsMs = sampleTime(envelope, s) - shiftMs
      const latest = state.latestMs[s.metric]
      // Backfilled, or older than the newest reading of the same metric: processed, but flagged late (domain.md §4).
      const late = s.backfill || (latest !== undefined && tsMs < latest)
      if (late) lateCount++
      const input: SampleInput = {
        metric: s.metric,
        value: s.value,
        quality: s.quality,
        // Unflagged readings count only when plausible (rules/plausibility.ts, issue #9 finding 6).
        valid: isMeasurement(s.metric, s.value, s.quality),
        tsMs,
      }
      // An invalid reading may reset a physiological rule's timers but never raise or escalate it (domain.md §2.4 items 1, 8).
      const guarded = !input.valid
      for (const rule of sampleRulesFor(state.info.deviceType, s.metric)) {
        const hook: Hook = (logic, st, device) => {
          const step = logic.onSample?.(st, input, device)
          if (guarded && logic.kind !== 'technical' && step?.signal?.active) return undefined
          // A late (backfilled or out-of-order) reading is stored and may raise, flagged late, but
          // never ends an alarm: the live readings say whether the condition is over (issue #9).
          // Its whole step is dropped, so the rule still holds the condition for the next live reading.
          return late && step?.signal && !step.signal.active ? undefined : step
        }
        events.push(...run(state, rule, late, hook))
      }
      state.latestMs[s.metric] = Math.max(latest ?? tsMs, tsMs)
    }
    return { events, lateCount }
  }

  function command(cmd: AlertCommand): CommandResult {
    const result = commandOn(devices, ruleById, cmd, clock, policy)
    if (result.ok) for (const e of result.events) dirty.add(e.deviceId)
    return result
  }

  return {
    onTelemetry(envelope, device, rxMs) {
      const state = deviceState(device)
      const rules = rulesFor(state.info.deviceType)
      // The message's send time against its receive time: a clock this far off cannot time a
      // condition, so its readings keep their spacing but are placed on the receive-time axis.
      const skewMs = envelope.deviceTsMs - rxMs
      const retimed = Math.abs(skewMs) > maxSkewMs
      const shiftMs = retimed ? skewMs : 0
      const tsMs = envelope.deviceTsMs - shiftMs
      const { events, lateCount } = onSamples(state, envelope, shiftMs)
      // A message is late when it is older than a previous one, or carries only late readings (a backfill chunk).
      const late =
        (state.lastMessageMs !== null && tsMs < state.lastMessageMs) ||
        (lateCount > 0 && lateCount === envelope.samples.length)
      const message = {
        tsMs,
        rxMs,
        skewMs,
        retimed,
        status: envelope.status,
        sampleCount: envelope.samples.length,
      }
      for (const rule of rules) {
        if (!rule.logic.onMessage) continue
        events.push(...run(state, rule, late, (logic, st, info) => logic.onMessage?.(st, message, info)))
      }
      state.lastMessageMs = Math.max(state.lastMessageMs ?? tsMs, tsMs)
      dirty.add(device.deviceId)
      return events
    },

    onLifecycle(device, event, atMs, detail) {
      const state = deviceState(device)
      const input: LifecycleInput = { event, atMs, ...detail }
      dirty.add(device.deviceId)
      return rulesFor(state.info.deviceType).flatMap((rule) =>
        rule.logic.onLifecycle
          ? run(state, rule, false, (logic, st, info) => logic.onLifecycle?.(st, input, info))
          : [],
      )
    },

    advance(clockMs, deviceIds) {
      const events: AlertEvent[] = []
      for (const id of deviceIds ?? devices.keys()) {
        const state = devices.get(id)
        // A device's clock only moves forward; an older view (its other channel's partition) changes nothing.
        if (!state || clockMs <= (deviceClock.get(id) ?? Number.NEGATIVE_INFINITY)) continue
        deviceClock.set(id, clockMs)
        for (const rule of rulesFor(state.info.deviceType)) {
          if (!rule.logic.onTime) continue
          events.push(...run(state, rule, false, (logic, st, info) => logic.onTime?.(st, clockMs, info)))
        }
      }
      return events
    },

    resume(deviceIds, resume) {
      const events: AlertEvent[] = []
      for (const id of deviceIds) {
        const state = devices.get(id)
        if (!state) continue
        for (const rule of rulesFor(state.info.deviceType)) {
          if (!rule.logic.onResume) continue
          events.push(...run(state, rule, false, (logic, st, info) => logic.onResume?.(st, resume, info)))
        }
      }
      return events
    },

    acknowledge(id, actor, atMs) {
      const result = command({
        v: 1,
        commandId: '',
        command: 'acknowledge',
        alertId: id,
        by: actor,
        atMs,
        reason: '',
        source: 'cli',
      })
      return result.ok ? result.events : []
    },

    command,

    escalate() {
      const events = escalateDue(devices.values(), ruleById, clock, policy)
      for (const e of events) dirty.add(e.deviceId)
      return events
    },

    snapshot(deviceId) {
      const state = devices.get(deviceId)
      return state ? encodeDeviceState(state) : undefined
    },

    restore(deviceId, snapshot) {
      devices.set(deviceId, restoreDeviceState(deviceId, snapshot, ruleById, clock.now()))
    },

    takeDirty() {
      const ids = [...dirty]
      dirty.clear()
      return ids
    },
  }
}
