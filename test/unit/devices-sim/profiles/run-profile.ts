import { expect } from 'vitest'
import type { TelemetrySample } from '../../../../core/telemetry/envelope.js'
import { METRICS, type MetricName } from '../../../../core/telemetry/metric-registry.js'
import {
  NO_EFFECTS,
  type DeviceProfile,
  type SignalEffects,
  type SimDevice,
} from '../../../../devices-sim/profiles/profile.js'
import { createRng } from '../../../../devices-sim/rng.js'

/** 2026-01-15T00:00:00Z: a midnight start, so a 2-h run covers a known part of the circadian curve. */
export const START_MS = Date.UTC(2026, 0, 15)
export const HOUR_MS = 3_600_000

export interface RunOptions {
  seed?: number
  durationMs: number
  /** Interval between sample() calls; default the device's report interval. */
  stepMs?: number
  effects?: (nowMs: number) => SignalEffects
}

export function createDevice<C>(profile: DeviceProfile<C>, config: unknown, seed = 1): SimDevice {
  return profile.create({
    deviceId: 'dev-0001',
    config: profile.configSchema.parse(config),
    rng: createRng(seed),
    startMs: START_MS,
  })
}

/** Calls sample() at START_MS, START_MS + step, … up to START_MS + durationMs, as a runner would. */
export function runDevice(device: SimDevice, options: RunOptions): TelemetrySample[] {
  const stepMs = options.stepMs ?? device.reportIntervalMs
  const samples: TelemetrySample[] = []
  for (let t = START_MS; t <= START_MS + options.durationMs; t += stepMs) {
    samples.push(...device.sample(t, options.effects?.(t) ?? NO_EFFECTS))
  }
  return samples
}

export function runProfile<C>(
  profile: DeviceProfile<C>,
  config: unknown,
  options: RunOptions,
): TelemetrySample[] {
  return runDevice(createDevice(profile, config, options.seed), options)
}

export const ofMetric = (samples: readonly TelemetrySample[], metric: MetricName): TelemetrySample[] =>
  samples.filter((s) => s.metric === metric)

export const valuesOf = (samples: readonly TelemetrySample[], metric: MetricName): number[] =>
  ofMetric(samples, metric).map((s) => s.value)

export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length

export function stdDev(values: readonly number[]): number {
  const m = mean(values)
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)))
}

/** Every sample: METRICS ucum, inside the range, a multiple of the resolution, not backfill. */
export function expectWellFormed(samples: readonly TelemetrySample[]): void {
  expect(samples.length).toBeGreaterThan(0)
  const bad = samples.filter((s) => {
    const def = METRICS[s.metric]
    const steps = s.value / def.resolution
    return (
      s.ucum !== def.ucum ||
      s.backfill ||
      s.value < def.range[0] ||
      s.value > def.range[1] ||
      Math.abs(steps - Math.round(steps)) > 1e-6
    )
  })
  expect(bad.slice(0, 5)).toEqual([])
}

export const withEffects = (partial: Partial<SignalEffects>): SignalEffects => ({ ...NO_EFFECTS, ...partial })
