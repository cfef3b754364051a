import type { Quality, TelemetrySample } from '../../core/telemetry/envelope.js'
import { METRICS, type MetricName } from '../../core/telemetry/metric-registry.js'
import type { Rng } from '../rng.js'
import type { Battery } from '../signals/battery.js'
import { createOu } from '../signals/ou.js'
import { clampToRange, toDeviceValue } from '../signals/quantise.js'
import type { SignalEffects } from './profile.js'

/** A modelled value before scenario effects, device resolution and range are applied. */
export interface Reading {
  metric: MetricName
  value: number
}

/** Metrics acquired together at one cadence (1 Hz numerics, an NIBP cycle, a battery reading). */
export interface Channel {
  periodMs: number
  /** Modelled readings at acquisition instant tMs; called once per instant, in time order. */
  acquire(tMs: number, effects: SignalEffects): Reading[]
}

/**
 * A metric's value after scenario trends and overrides, before clamping and quantising; for
 * derived values such as MAP, which must follow the effective systolic/diastolic.
 */
export function effectiveValue(metric: MetricName, modelled: number, effects: SignalEffects): number {
  return effects.overrides[metric] ?? modelled + (effects.offsets[metric] ?? 0)
}

/**
 * Applies SignalEffects to one reading: override replaces, else offset is added; then clamp and
 * quantise (domain.md §1.3). Quality is forced by the effects, else 'valid'. A probe-off sample
 * carries no reading, so its value is 0 (or the range minimum if 0 is out of range) and only the
 * quality says why (domain.md §0: value separate from validity).
 */
export function toSample(reading: Reading, tMs: number, effects: SignalEffects): TelemetrySample {
  const { metric } = reading
  const quality: Quality = effects.quality[metric] ?? 'valid'
  const value =
    quality === 'probe_off'
      ? clampToRange(metric, 0)
      : toDeviceValue(metric, effectiveValue(metric, reading.value, effects))
  return { metric, value, ucum: METRICS[metric].ucum, quality, tsMs: tMs, backfill: false }
}

export interface ChannelSampler {
  /** Samples of every channel acquired in (previous call, nowMs], ordered by time then channel. */
  sample(nowMs: number, effects: SignalEffects): TelemetrySample[]
}

/**
 * Acquisition instants are floor(startMs) + k·periodMs (k ≥ 0) per channel, so the first sample
 * is at the start and the samples do not depend on how often `sample` is called.
 */
export function createChannelSampler(startMs: number, channels: readonly Channel[]): ChannelSampler {
  // Whole milliseconds: tsMs is an int64 on the wire, and a runner may stagger starts by fractions.
  const originMs = Math.floor(startMs)
  const nextIndex = channels.map(() => 0)
  return {
    sample(nowMs, effects) {
      const acquired: TelemetrySample[] = []
      channels.forEach((channel, c) => {
        for (let k = nextIndex[c] ?? 0; originMs + k * channel.periodMs <= nowMs; k++) {
          const tMs = originMs + k * channel.periodMs
          for (const reading of channel.acquire(tMs, effects)) acquired.push(toSample(reading, tMs, effects))
          nextIndex[c] = k + 1
        }
      })
      // Array.prototype.sort is stable: equal times keep channel order.
      return acquired.sort((a, b) => a.tsMs - b.tsMs)
    },
  }
}

export interface OuChannelOptions {
  metric: MetricName
  periodMs: number
  rng: Rng
  startMs: number
  tauMs: number
  sigma: number
  /** Deterministic part (baseline + circadian + drift) at tMs. */
  baseline: (tMs: number) => number
}

/** One metric = baseline(t) + OU noise (domain.md §1.3); its own forked stream per metric. */
export function createOuChannel(options: OuChannelOptions): Channel {
  const noise = createOu({
    tauMs: options.tauMs,
    sigma: options.sigma,
    rng: options.rng.fork(options.metric),
    startMs: options.startMs,
  })
  return {
    periodMs: options.periodMs,
    acquire: (tMs) => [{ metric: options.metric, value: options.baseline(tMs) + noise.at(tMs) }],
  }
}

/** battery_level readings from a Battery that integrates the scenario drain as time passes. */
export function createBatteryChannel(battery: Battery, periodMs: number): Channel {
  return {
    periodMs,
    acquire: (tMs, effects) => [
      { metric: 'battery_level', value: battery.advanceTo(tMs, effects.batteryDrainPerHour) },
    ],
  }
}
