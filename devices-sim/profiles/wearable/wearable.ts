import { z } from 'zod'
import { DEVICE_TYPE_TABLE } from '../../../core/telemetry/device-types.js'
import { createBattery } from '../../signals/battery.js'
import { circadian } from '../../signals/circadian.js'
import { createBatteryChannel, createChannelSampler, createOuChannel, type Channel } from '../channels.js'
import type { DeviceProfile, ProfileContext, SimDevice } from '../profile.js'
import { batteryPoweredDevice, createStatusReporter } from '../status.js'

export const wearableConfigSchema = z.strictObject({
  reportIntervalMs: z
    .number()
    .int()
    .positive()
    .default(DEVICE_TYPE_TABLE['wearable'].reportIntervalMs)
    .describe('Publish interval, ms.'),
  measurementIntervalMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe(
      'HR/RR (and SpO2) measurement interval, ms (domain.md §1.2: ward patches measure every minute).',
    ),
  spo2Enabled: z.boolean().default(true).describe('Whether the wearable has a pulse oximeter (SpO2).'),
  baselineHeartRate: z.number().min(30).max(200).default(72).describe('Resting heart rate, /min.'),
  baselineRespirationRate: z.number().min(4).max(40).default(15).describe('Resting respiration rate, /min.'),
  baselineSpo2: z.number().min(70).max(100).default(97).describe('Resting SpO2, %.'),
  batteryStartPct: z.number().min(0).max(100).default(100).describe('Battery level at start, %.'),
  batteryDrainPerHour: z
    .number()
    .min(0)
    .default(1)
    .describe('Own battery drain, percentage points per hour (a patch lasts days).'),
  batteryIntervalMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('battery_level sample interval, ms.'),
  rssiMeanDbm: z.number().min(-110).max(-20).default(-67).describe('Mean BLE/Wi-Fi signal strength, dBm.'),
  firmware: z.string().min(1).default('1.8.3').describe('Firmware version reported in the device status.'),
})
export type WearableConfig = z.output<typeof wearableConfigSchema>

/** Ward wearable patch: HR and RR once a minute, optional SpO2, battery and radio (domain.md §1.2). */
export function createWearable(context: ProfileContext<WearableConfig>): SimDevice {
  const { config, rng, startMs, deviceId } = context
  const periodMs = config.measurementIntervalMs
  const battery = createBattery({
    startPct: config.batteryStartPct,
    drainPerHour: config.batteryDrainPerHour,
    startMs,
  })
  // Noise as for the bedside monitor (§1.3); a minute apart, successive readings are less correlated.
  const channels: Channel[] = [
    createOuChannel({
      metric: 'heart_rate',
      periodMs,
      rng,
      startMs,
      tauMs: 120_000,
      sigma: 3,
      baseline: (t) => config.baselineHeartRate + circadian(t, { amplitude: 5, peakHour: 16 }),
    }),
    createOuChannel({
      metric: 'respiration_rate',
      periodMs,
      rng,
      startMs,
      tauMs: 120_000,
      sigma: 1,
      baseline: (t) => config.baselineRespirationRate + circadian(t, { amplitude: 1, peakHour: 16 }),
    }),
  ]
  if (config.spo2Enabled) {
    channels.push(
      createOuChannel({
        metric: 'spo2',
        periodMs,
        rng,
        startMs,
        tauMs: 120_000,
        sigma: 0.6,
        baseline: () => config.baselineSpo2,
      }),
    )
  }
  channels.push(createBatteryChannel(battery, config.batteryIntervalMs))
  const sampler = createChannelSampler(startMs, channels)
  const status = createStatusReporter({
    firmware: config.firmware,
    onMainsPower: false,
    battery,
    rssiMeanDbm: config.rssiMeanDbm,
    rng,
    startMs,
  })
  return batteryPoweredDevice({
    deviceId,
    type: 'wearable',
    reportIntervalMs: config.reportIntervalMs,
    sampler,
    battery,
    status,
  })
}

export const wearableProfile: DeviceProfile<WearableConfig> = {
  type: 'wearable',
  summary: 'Ward wearable patch: HR and RR every minute, optional SpO2, battery-powered radio.',
  configSchema: wearableConfigSchema,
  create: createWearable,
}
