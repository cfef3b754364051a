import type { z } from 'zod'
import type { PluginType } from '../../core/plugins/plugin-list.js'
import type { DeviceType } from '../../core/telemetry/envelope.js'
import type { Rng } from '../rng.js'
import type { SignalEffects } from '../profiles/profile.js'

/** What a scenario does to the transport at one instant: faults below the signal level. */
export interface TransportEffects {
  /** The device is disconnected; it keeps sampling and buffers readings for backfill if `backfill`. */
  offline: boolean
  /** Send buffered readings with backfill=true when it reconnects. */
  backfill: boolean
  /** Added to the device clock (clock skew), ms. */
  clockOffsetMs: number
  /** Probability that a publish is sent twice (QoS 1 redelivery seen by the pipeline). */
  duplicateProbability: number
  /** Probability that a publish is held back and sent after the next one (out of order). */
  reorderProbability: number
  /** Probability that a publish is replaced by malformed bytes. */
  malformedProbability: number
}

export const NO_TRANSPORT_EFFECTS: TransportEffects = {
  offline: false,
  backfill: false,
  clockOffsetMs: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  malformedProbability: 0,
}

/** A ground-truth record: what was injected, on which device, when (true time, ms since epoch). */
export interface GroundTruthEvent {
  atMs: number
  deviceId: string
  scenario: string
  /** e.g. "desaturation-start", "desaturation-end", "probe-off", "offline-start", "sepsis-phase". */
  event: string
  detail?: Record<string, number | string | boolean>
}

/** A running scenario on one device. Pure: its output depends only on config, seed and time. */
export interface ScenarioInstance {
  /** Signal effects at true time `nowMs` (merged by the runner with other scenarios'). */
  signal(nowMs: number): Partial<SignalEffects>
  transport(nowMs: number): Partial<TransportEffects>
  /** Ground-truth events with fromMs < atMs <= toMs, in time order. */
  events(fromMs: number, toMs: number): GroundTruthEvent[]
}

export interface ScenarioContext<C> {
  deviceId: string
  config: C
  rng: Rng
  /** True time at which the scenario starts, ms since epoch. */
  startMs: number
}

/**
 * A scenario plugin (registry in ./index.ts): `type` = folder name (`scenarios/<type>/<type>.ts`)
 * = `scenario` of a fleet group's scenario entry.
 */
export interface Scenario<C = unknown> extends PluginType {
  readonly type: string
  readonly summary: string
  /** Device types it makes sense for; the fleet file is rejected otherwise. */
  readonly appliesTo: readonly DeviceType[]
  readonly configSchema: z.ZodType<C>
  create(context: ScenarioContext<C>): ScenarioInstance
}
