import type { z } from 'zod'
import type { AlertKind, AlertPriority } from '../../../core/alerts/alert-event.js'
import type { DeviceStatus, DeviceType, Quality } from '../../../core/telemetry/envelope.js'
import type { PluginType } from '../../../core/plugins/plugin-list.js'
import type { MetricName } from '../../../core/telemetry/metric-registry.js'

/** The device a message belongs to, as the device registry knows it (not as the payload claims). */
export interface DeviceInfo {
  deviceId: string
  deviceType: DeviceType
  subjectId?: string | undefined
  site?: string | undefined
}

/** Connect / disconnect of a device at the gateway (the MQTT last will counts as a disconnect). */
export type LifecycleEvent = 'connected' | 'disconnected'

/** One reading, as a rule sees it. */
export interface SampleInput {
  metric: MetricName
  value: number
  quality: Quality
  /** quality is valid or unspecified: the only readings that may raise or sustain a physiological alarm. */
  valid: boolean
  /** Reading time (event time), ms since the epoch. */
  tsMs: number
}

/** One telemetry message, after its samples: liveness and device status. */
export interface MessageInput {
  /** The message's device time (send time; backfilled samples carry their own older times). */
  tsMs: number
  /** Gateway receive time: the clock communication loss is judged on (onTime). */
  rxMs: number
  /** Device time minus receive time: how far the device clock is off (plus transit time). */
  skewMs: number
  /**
   * The device clock was off by more than the configured bound, so the engine timed this
   * message's readings by receive time instead (a technical "clock fault" condition).
   */
  retimed: boolean
  status: DeviceStatus | undefined
  sampleCount: number
}

export interface LifecycleInput {
  event: LifecycleEvent
  /** Gateway time of the event. */
  atMs: number
  /** A disconnect because the gateway is stopping gracefully: the device is moving, not lost. */
  reason?: 'gateway_shutdown' | undefined
  /** With gateway_shutdown: how long the device may take to come back (the gateway's grace period). */
  graceMs?: number | undefined
}

export interface ResumeInput {
  /** Partition clock (receive time) at which data flowed again. */
  atMs: number
  /** How long devices get to reconnect after the gap (alerting config time.resumeGraceMs). */
  graceMs: number
}

/** The alarm condition a rule reports when it changes; the engine turns it into transitions. */
export type RuleSignal =
  | {
      active: true
      priority: Exclude<AlertPriority, 'unspecified'>
      value: number
      limit: number
      /** Event time of the reading (or deadline) that decided it. */
      tsMs: number
      message: string
      /** Sticky for the episode: once a latching level was reached, the episode needs a reset. */
      latching?: boolean
      metric?: MetricName | undefined
    }
  | {
      active: false
      value: number
      limit: number
      tsMs: number
      message: string
      metric?: MetricName | undefined
    }

/** A rule's new per-device state, and a signal when its condition changed. */
export interface RuleStep<S> {
  state: S
  signal?: RuleSignal | undefined
}

/**
 * The logic of one configured rule, as pure functions over a JSON-serialisable per-device state
 * (an object, never null; it travels in snapshots). Hooks are called in the device's record order.
 * Every sample reaches every rule; for physiological and score rules the engine discards a step in
 * which an invalid sample would raise or escalate (domain.md §2.4 items 1 and 8).
 */
export interface RuleLogic<S> {
  readonly kind: Exclude<AlertKind, 'unspecified'>
  /** The metric alerts of this rule are about; undefined for device-level rules (comm loss, NEWS2). */
  readonly metric: MetricName | undefined
  /** The metrics whose samples `onSample` reads; the engine skips the rule for others. */
  readonly sampleMetrics: readonly MetricName[]
  /** Validates a state restored from a snapshot; a mismatch (older rule version) re-initialises it. */
  readonly stateSchema: z.ZodType<S>
  initialState(device: DeviceInfo): S
  onSample?(state: S, sample: SampleInput, device: DeviceInfo): RuleStep<S>
  onMessage?(state: S, message: MessageInput, device: DeviceInfo): RuleStep<S>
  onLifecycle?(state: S, input: LifecycleInput, device: DeviceInfo): RuleStep<S>
  /**
   * The gateway clock of the device's partition advanced (receive time of its latest record or
   * heartbeat, never a device clock): for rules that fire on silence.
   */
  onTime?(state: S, clockMs: number, device: DeviceInfo): RuleStep<S>
  /**
   * The device's partition clock resumed at atMs after a gap (no heartbeat: gateway or Kafka
   * ingress was down). Silence during the gap is not the device's: rules restart their timers,
   * and give it graceMs to reconnect and send.
   */
  onResume?(state: S, resume: ResumeInput, device: DeviceInfo): RuleStep<S>
}

/** A limit a rule enforces on a metric, for rule-set consistency checks (low limit < high limit). */
export interface LimitBound {
  metric: MetricName
  side: 'low' | 'high'
  limit: number
  /** Path of the limit inside the rule's config, for the error message. */
  path: (string | number)[]
}

/** A rule type: `type` is kebab-case and equals its folder name under rules/ (conventions §1). */
export interface RulePlugin<C, S> {
  readonly type: string
  readonly summary: string
  /** Strict objects, every field `.describe()`d; validated once when the rule set loads. */
  readonly configSchema: z.ZodType<C>
  create(config: C, context: { ruleId: string }): RuleLogic<S>
  bounds?(config: C): LimitBound[]
}

/**
 * A plugin with its config type erased, so the registry can be a plain array. The one list parser
 * (`core/plugins/plugin-list.ts`) validates an entry with `configSchema`; `create` takes that output.
 */
export interface RegisteredRule extends PluginType {
  create(config: unknown, ruleId: string): { logic: RuleLogic<unknown>; bounds: LimitBound[] }
}

export function defineRule<C, S>(plugin: RulePlugin<C, S>): RegisteredRule {
  return {
    type: plugin.type,
    summary: plugin.summary,
    configSchema: plugin.configSchema,
    create(config, ruleId) {
      // Only ever called with this plugin's configSchema output (see RegisteredRule).
      const typed = config as C
      const logic = plugin.create(typed, { ruleId }) as unknown as RuleLogic<unknown>
      return { logic, bounds: plugin.bounds?.(typed) ?? [] }
    },
  }
}
