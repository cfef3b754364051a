import { z } from 'zod'
import { DEVICE_TYPE_TABLE } from '../../../core/telemetry/device-types.js'
import { circadian } from '../../signals/circadian.js'
import { createOu } from '../../signals/ou.js'
import {
  createChannelSampler,
  createOuChannel,
  effectiveValue,
  type Channel,
  type OuChannelOptions,
} from '../channels.js'
import type { DeviceProfile, ProfileContext, SimDevice } from '../profile.js'
import { createStatusReporter } from '../status.js'

export const bedsideMonitorConfigSchema = z.strictObject({
  reportIntervalMs: z
    .number()
    .int()
    .positive()
    .default(DEVICE_TYPE_TABLE['bedside-monitor'].reportIntervalMs)
    .describe('Publish interval, ms (numerics are 1 Hz).'),
  nibpIntervalMs: z
    .number()
    .int()
    .min(60_000)
    .default(900_000)
    .describe('NIBP auto interval, ms; first cuff reading at start (domain.md §1.2: default 15 min).'),
  baselineHeartRate: z.number().min(30).max(200).default(75).describe('Resting heart rate, /min.'),
  baselineSpo2: z.number().min(70).max(100).default(97).describe('Resting SpO2, %.'),
  baselineRespirationRate: z.number().min(4).max(40).default(15).describe('Resting respiration rate, /min.'),
  baselineSystolic: z.number().min(60).max(220).default(120).describe('Resting systolic pressure, mm[Hg].'),
  baselineDiastolic: z.number().min(30).max(130).default(75).describe('Resting diastolic pressure, mm[Hg].'),
  baselineTemperature: z
    .number()
    .min(34)
    .max(40)
    .default(36.9)
    .describe('Core temperature at the daily mean, Cel.'),
  firmware: z.string().min(1).default('2.4.1').describe('Firmware version reported in the device status.'),
})
export type BedsideMonitorConfig = z.output<typeof bedsideMonitorConfigSchema>

const NUMERIC_PERIOD_MS = 1000

/** Bedside monitor: 1 Hz numerics plus intermittent NIBP, on mains power (domain.md §1.1–1.3). */
export function createBedsideMonitor(context: ProfileContext<BedsideMonitorConfig>): SimDevice {
  const { config, rng, startMs, deviceId } = context
  const numeric = (
    metric: OuChannelOptions['metric'],
    tauMs: number,
    sigma: number,
    baseline: (tMs: number) => number,
  ): Channel => createOuChannel({ metric, periodMs: NUMERIC_PERIOD_MS, rng, startMs, tauMs, sigma, baseline })

  // HR: beat-to-beat ±2–5 bpm with τ≈10–30 s and a circadian swing of ±5 (§1.3), lowest at night.
  const heartRate = (tMs: number): number =>
    config.baselineHeartRate + circadian(tMs, { amplitude: 5, peakHour: 16 })
  const hrNoise = createOu({ tauMs: 20_000, sigma: 3, rng: rng.fork('heart_rate'), startMs })
  // The oximeter's pulse rate sees the same heart: it follows HR (and HR trends) with its own jitter.
  const prNoise = createOu({ tauMs: 5000, sigma: 1, rng: rng.fork('pulse_rate'), startMs })
  const cardiac: Channel = {
    periodMs: NUMERIC_PERIOD_MS,
    acquire(tMs, effects) {
      const hr = heartRate(tMs) + hrNoise.at(tMs)
      const pr = hr + (effects.offsets.heart_rate ?? 0) + prNoise.at(tMs)
      return [
        { metric: 'heart_rate', value: hr },
        { metric: 'pulse_rate', value: pr },
      ]
    },
  }

  // NIBP: reading-to-reading variability ±5–10 mmHg (§1.3); MAP ≈ DIA + (SYS − DIA)/3 (§1.1),
  // derived from the effective pressures so that scenario trends move it too.
  const sysNoise = createOu({ tauMs: 1_800_000, sigma: 6, rng: rng.fork('nibp_systolic'), startMs })
  const diaNoise = createOu({ tauMs: 1_800_000, sigma: 4, rng: rng.fork('nibp_diastolic'), startMs })
  const nibp: Channel = {
    periodMs: config.nibpIntervalMs,
    acquire(tMs, effects) {
      const swing = circadian(tMs, { amplitude: 5, peakHour: 14 })
      const sys = config.baselineSystolic + swing + sysNoise.at(tMs)
      const dia = config.baselineDiastolic + swing * 0.6 + diaNoise.at(tMs)
      const effSys = effectiveValue('nibp_systolic', sys, effects)
      const effDia = effectiveValue('nibp_diastolic', dia, effects)
      return [
        { metric: 'nibp_systolic', value: sys },
        { metric: 'nibp_diastolic', value: dia },
        { metric: 'nibp_mean', value: effDia + (effSys - effDia) / 3 },
      ]
    },
  }

  const sampler = createChannelSampler(startMs, [
    cardiac,
    // SpO2: ±1 % jitter around a healthy 97 % (§1.3); clamped at 100 by the range.
    numeric('spo2', 30_000, 0.6, () => config.baselineSpo2),
    numeric('respiration_rate', 30_000, 1, (t) => {
      return config.baselineRespirationRate + circadian(t, { amplitude: 1, peakHour: 16 })
    }),
    // Temperature: ±0.05–0.1 °C noise, slow (§1.3); circadian peak in the early evening.
    numeric('body_temperature', 600_000, 0.08, (t) => {
      return config.baselineTemperature + circadian(t, { amplitude: 0.3, peakHour: 18 })
    }),
    nibp,
  ])
  const status = createStatusReporter({ firmware: config.firmware, onMainsPower: true, rng, startMs })
  return {
    deviceId,
    type: 'bedside-monitor',
    reportIntervalMs: config.reportIntervalMs,
    sample: (nowMs, effects) => sampler.sample(nowMs, effects),
    status,
  }
}

export const bedsideMonitorProfile: DeviceProfile<BedsideMonitorConfig> = {
  type: 'bedside-monitor',
  summary: 'ICU/ward bedside monitor: HR, SpO2, pulse rate, RR, temperature at 1 Hz; NIBP every 15 min.',
  configSchema: bedsideMonitorConfigSchema,
  create: createBedsideMonitor,
}
