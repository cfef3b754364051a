import { z } from 'zod'
import { DEVICE_TYPE_TABLE } from '../../../core/telemetry/device-types.js'
import { createOu } from '../../signals/ou.js'
import { createChannelSampler, type Channel } from '../channels.js'
import type { DeviceProfile, ProfileContext, SimDevice } from '../profile.js'
import { createStatusReporter } from '../status.js'

export const MACHINE_CLASSES = ['I', 'II', 'III', 'IV'] as const
export type MachineClass = (typeof MACHINE_CLASSES)[number]

/**
 * Zone boundaries A/B, B/C, C/D in mm/s RMS per ISO 10816 machine class (domain.md §4, src V1:
 * a secondary source, to verify against the standard).
 */
export const ISO10816_ZONES: Readonly<Record<MachineClass, readonly [number, number, number]>> = {
  I: [0.71, 1.8, 4.5],
  II: [1.12, 2.8, 7.1],
  III: [1.8, 4.5, 11.2],
  IV: [2.8, 7.1, 18],
}

export const vibrationSensorConfigSchema = z.strictObject({
  reportIntervalMs: z
    .number()
    .int()
    .positive()
    .default(DEVICE_TYPE_TABLE['vibration-sensor'].reportIntervalMs)
    .describe('Publish and sample interval, ms.'),
  machineClass: z
    .enum(MACHINE_CLASSES)
    .default('II')
    .describe('ISO 10816 machine class: I ≤ 15 kW, II 15–75 kW, III large rigid, IV large flexible.'),
  baselineFractionOfAB: z
    .number()
    .min(0.1)
    .max(5)
    .default(0.8)
    .describe(
      'Healthy vibration level as a fraction of the class zone A/B boundary (< 1 zone A, > 1 zone B).',
    ),
  firmware: z.string().min(1).default('3.1.2').describe('Firmware version reported in the device status.'),
})
export type VibrationSensorConfig = z.output<typeof vibrationSensorConfigSchema>

/** Wired, mains-powered broadband velocity sensor on a rotating machine (domain.md §4). */
export function createVibrationSensor(context: ProfileContext<VibrationSensorConfig>): SimDevice {
  const { config, rng, startMs, deviceId } = context
  const [zoneAB] = ISO10816_ZONES[config.machineClass]
  const baseline = zoneAB * config.baselineFractionOfAB
  // Load changes move the level over minutes; the broadband estimate itself jitters per second.
  const load = createOu({ tauMs: 120_000, sigma: 0.08 * baseline, rng: rng.fork('load'), startMs })
  const jitter = createOu({ tauMs: 2000, sigma: 0.03 * baseline, rng: rng.fork('jitter'), startMs })
  const vibration: Channel = {
    periodMs: config.reportIntervalMs,
    acquire: (tMs) => [{ metric: 'vibration_rms', value: baseline + load.at(tMs) + jitter.at(tMs) }],
  }
  const sampler = createChannelSampler(startMs, [vibration])
  const status = createStatusReporter({ firmware: config.firmware, onMainsPower: true, rng, startMs })
  return {
    deviceId,
    type: 'vibration-sensor',
    reportIntervalMs: config.reportIntervalMs,
    sample: (nowMs, effects) => sampler.sample(nowMs, effects),
    status,
  }
}

export const vibrationSensorProfile: DeviceProfile<VibrationSensorConfig> = {
  type: 'vibration-sensor',
  summary: 'Machine vibration sensor: broadband RMS velocity (mm/s) every second, mains-powered.',
  configSchema: vibrationSensorConfigSchema,
  create: createVibrationSensor,
}
