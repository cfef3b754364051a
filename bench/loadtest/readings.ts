import { encodeTelemetry, type DeviceType, type TelemetrySample } from '../../core/telemetry/envelope.js'
import type { KnownDeviceType } from '../../core/telemetry/device-types.js'
import { METRICS, type MetricName } from '../../core/telemetry/metric-registry.js'

/**
 * What a load device sends: a fixed set of metrics per reading (performance.md §3: 4–10 fields
 * per message), near a plausible nominal value. Load readings are deliberately cheap and
 * deterministic (no signal models): the generator must stay a small share of the 2 cores.
 */
export interface LoadProfile {
  type: DeviceType
  /** The first metric is present in every reading: stored readings are counted on it. */
  metrics: ReadonlyArray<{ metric: MetricName; nominal: number; swing: number }>
}

export const LOAD_PROFILES = {
  'bedside-monitor': {
    type: 'bedside-monitor',
    metrics: [
      { metric: 'heart_rate', nominal: 75, swing: 4 },
      { metric: 'spo2', nominal: 97, swing: 1 },
      { metric: 'pulse_rate', nominal: 75, swing: 4 },
      { metric: 'respiration_rate', nominal: 15, swing: 2 },
      { metric: 'body_temperature', nominal: 36.9, swing: 0.2 },
    ],
  },
  wearable: {
    type: 'wearable',
    metrics: [
      { metric: 'heart_rate', nominal: 72, swing: 5 },
      { metric: 'spo2', nominal: 97, swing: 1 },
      { metric: 'respiration_rate', nominal: 14, swing: 2 },
      { metric: 'battery_level', nominal: 80, swing: 1 },
    ],
  },
  'environmental-sensor': {
    type: 'environmental-sensor',
    metrics: [
      { metric: 'ambient_temperature', nominal: 21.5, swing: 0.5 },
      { metric: 'relative_humidity', nominal: 45, swing: 2 },
      { metric: 'barometric_pressure', nominal: 1013, swing: 1 },
      { metric: 'battery_level', nominal: 90, swing: 1 },
    ],
  },
  'vibration-sensor': {
    type: 'vibration-sensor',
    metrics: [
      { metric: 'vibration_rms', nominal: 2.5, swing: 0.5 },
      { metric: 'ambient_temperature', nominal: 35, swing: 1 },
      { metric: 'battery_level', nominal: 90, swing: 1 },
    ],
  },
} as const satisfies Partial<Record<KnownDeviceType, LoadProfile>>

export type LoadProfileName = keyof typeof LOAD_PROFILES
export const LOAD_PROFILE_NAMES = Object.keys(LOAD_PROFILES) as LoadProfileName[]

/** Whether alarm devices are possible: the alarm is an SpO2 desaturation. */
export const profileHasSpo2 = (name: LoadProfileName): boolean =>
  LOAD_PROFILES[name].metrics.some((m) => m.metric === 'spo2')

export interface AlarmPattern {
  /** SpO2 an alarm device reports while in alarm, %. */
  spo2: number
  /** Alarm phase length, then `normalMs` of normal values, repeating from the run start. */
  holdMs: number
  normalMs: number
}

export interface PayloadSpec {
  deviceId: string
  bootId: string
  seq: number
  /** Reading times, oldest first; the newest is the message's device timestamp. */
  readingTimesMs: readonly number[]
  /** Run start (wall ms): the alarm pattern's phase origin. */
  runStartMs: number
  alarm: AlarmPattern | undefined
}

const quantise = (metric: MetricName, value: number): number => {
  const { resolution, range } = METRICS[metric]
  const stepped = Math.round(value / resolution) * resolution
  return Math.min(range[1], Math.max(range[0], Number(stepped.toFixed(4))))
}

/** Encodes one load message with the repository's own codec (the payload real devices send). */
export function encodeLoadMessage(profile: LoadProfile, spec: PayloadSpec): Uint8Array {
  const samples: TelemetrySample[] = []
  for (const tsMs of spec.readingTimesMs) {
    const phase = spec.alarm ? (tsMs - spec.runStartMs) % (spec.alarm.holdMs + spec.alarm.normalMs) : -1
    const inAlarm = spec.alarm !== undefined && phase >= 0 && phase < spec.alarm.holdMs
    for (const [k, m] of profile.metrics.entries()) {
      // A slow wobble per metric, different per device and time: values move, deterministically.
      const wobble = Math.sin(tsMs / 7_000 + k + spec.seq * 0.001)
      const value =
        m.metric === 'spo2' && inAlarm && spec.alarm ? spec.alarm.spo2 : m.nominal + m.swing * wobble
      samples.push({
        metric: m.metric,
        value: quantise(m.metric, value),
        ucum: METRICS[m.metric].ucum,
        quality: 'valid',
        tsMs,
        backfill: false,
      })
    }
  }
  return encodeTelemetry({
    deviceId: spec.deviceId,
    bootId: spec.bootId,
    seq: spec.seq,
    deviceTsMs: spec.readingTimesMs[spec.readingTimesMs.length - 1] ?? spec.runStartMs,
    deviceType: profile.type,
    samples,
  })
}
