import type { z } from 'zod'
import type { DeviceStatus, DeviceType, TelemetrySample } from '../../core/telemetry/envelope.js'
import type { PluginType } from '../../core/plugins/plugin-list.js'
import type { MetricName } from '../../core/telemetry/metric-registry.js'
import type { Rng } from '../rng.js'

/**
 * What active scenarios do to a device's signals at one instant (device time). Profiles apply
 * these when they sample; they never know which scenario asked.
 */
export interface SignalEffects {
  /** Added to the metric's modelled value (trends: sepsis, opioid depression). */
  offsets: Partial<Record<MetricName, number>>
  /** Replaces the modelled value (desaturation dip depth applied as an override, stuck sensor). */
  overrides: Partial<Record<MetricName, number>>
  /** Quality forced on a metric's samples (probe-off, motion artefact). */
  quality: Partial<Record<MetricName, TelemetrySample['quality']>>
  /** Extra battery drain, percentage points per hour (battery decline). */
  batteryDrainPerHour: number
}

export const NO_EFFECTS: SignalEffects = { offsets: {}, overrides: {}, quality: {}, batteryDrainPerHour: 0 }

/** One simulated device: a signal model with its own state and random stream. */
export interface SimDevice {
  readonly deviceId: string
  readonly type: DeviceType
  /** How often this device publishes, ms. */
  readonly reportIntervalMs: number
  /**
   * The samples acquired in (previous call, nowMs], device time. Deterministic for a given
   * seed and call sequence; values quantised to the metric's resolution and clamped to its range.
   */
  sample(nowMs: number, effects: SignalEffects): TelemetrySample[]
  status(nowMs: number): DeviceStatus
}

export interface ProfileContext<C> {
  deviceId: string
  config: C
  rng: Rng
  /** Device time of the first sample, ms since the epoch. */
  startMs: number
}

/**
 * A device profile plugin (registry in ./index.ts): `type` = folder name (`profiles/<type>/<type>.ts`)
 * = `profile` of a fleet group.
 */
export interface DeviceProfile<C = unknown> extends PluginType {
  readonly type: DeviceType
  readonly summary: string
  /** Strict, every field `.describe()`d, defaults for everything: `{}` must be a valid config. */
  readonly configSchema: z.ZodType<C>
  create(context: ProfileContext<C>): SimDevice
}
