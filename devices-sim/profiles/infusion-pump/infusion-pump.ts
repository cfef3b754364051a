import { z } from 'zod'
import { DEVICE_TYPE_TABLE } from '../../../core/telemetry/device-types.js'
import { INFUSION_STATES, type InfusionState } from '../../../core/telemetry/metric-registry.js'
import { createBattery } from '../../signals/battery.js'
import { createOu } from '../../signals/ou.js'
import { createBatteryChannel, createChannelSampler, effectiveValue, type Channel } from '../channels.js'
import type { DeviceProfile, ProfileContext, SimDevice } from '../profile.js'
import { batteryPoweredDevice, createStatusReporter } from '../status.js'

const HOUR_MS = 3_600_000

export const infusionPumpConfigSchema = z.strictObject({
  reportIntervalMs: z
    .number()
    .int()
    .positive()
    .default(DEVICE_TYPE_TABLE['infusion-pump'].reportIntervalMs)
    .describe('Publish and sample interval, ms.'),
  rateMlPerHour: z.number().min(0.1).max(1200).default(50).describe('Programmed infusion rate, mL/h.'),
  vtbiMl: z
    .number()
    .positive()
    .max(10_000)
    .default(1000)
    .describe('Volume to be infused, mL; then the pump continues at the KVO rate (domain.md §1.6).'),
  kvoRateMlPerHour: z
    .number()
    .min(0.1)
    .max(20)
    .default(1)
    .describe('Keep-vein-open rate after VTBI, mL/h (§1.6).'),
  baselinePressureMmHg: z
    .number()
    .min(0)
    .max(300)
    .default(25)
    .describe('Downstream line pressure at zero flow resistance offset, mm[Hg]; flow adds a little.'),
  onMainsPower: z
    .boolean()
    .default(false)
    .describe('Plugged in (battery does not drain) or running on battery.'),
  batteryStartPct: z.number().min(0).max(100).default(100).describe('Battery level at start, %.'),
  batteryDrainPerHour: z
    .number()
    .min(0)
    .default(3)
    .describe('Own drain on battery, percentage points per hour.'),
  batteryIntervalMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('battery_level sample interval, ms.'),
  rssiMeanDbm: z.number().min(-110).max(-20).default(-60).describe('Mean Wi-Fi signal strength, dBm.'),
  firmware: z.string().min(1).default('5.2.0').describe('Firmware version reported in the device status.'),
})
export type InfusionPumpConfig = z.output<typeof infusionPumpConfigSchema>

const stateIndex = (state: InfusionState): number => INFUSION_STATES.indexOf(state)
const DELIVERING = new Set<number>([stateIndex('infusing'), stateIndex('bolus')])

/**
 * Volumetric pump (domain.md §1.6): infuses at the programmed rate until VTBI, then KVO. A
 * scenario may force the state (override of infusion_state, e.g. 'alarm' for an occlusion); the
 * pump then delivers nothing and the volume stops growing.
 */
export function createInfusionPump(context: ProfileContext<InfusionPumpConfig>): SimDevice {
  const { config, rng, startMs, deviceId } = context
  const battery = createBattery({
    startPct: config.batteryStartPct,
    drainPerHour: config.onMainsPower ? 0 : config.batteryDrainPerHour,
    startMs,
  })
  const pressureNoise = createOu({ tauMs: 30_000, sigma: 2, rng: rng.fork('infusion_pressure'), startMs })
  let ownState: InfusionState = 'infusing'
  let volumeMl = 0
  let lastMs = startMs
  let lastRate = 0

  const pump: Channel = {
    periodMs: config.reportIntervalMs,
    acquire(tMs, effects) {
      volumeMl += (lastRate * (tMs - lastMs)) / HOUR_MS
      lastMs = tMs
      // The epsilon absorbs float error: 60 mL/h for 10 min must complete 10 mL exactly.
      if (ownState === 'infusing' && volumeMl >= config.vtbiMl - 1e-9) {
        volumeMl = config.vtbiMl
        ownState = 'kvo'
      }
      const state = effects.overrides.infusion_state ?? stateIndex(ownState)
      const modelledRate = DELIVERING.has(state)
        ? config.rateMlPerHour
        : state === stateIndex('kvo')
          ? config.kvoRateMlPerHour
          : 0
      // The rate actually delivered until the next reading (scenario effects included).
      lastRate = Math.max(0, effectiveValue('infusion_rate', modelledRate, effects))
      const pressure =
        (lastRate > 0 ? config.baselinePressureMmHg + 0.1 * lastRate : 5) + pressureNoise.at(tMs)
      return [
        { metric: 'infusion_state', value: state },
        { metric: 'infusion_rate', value: modelledRate },
        { metric: 'infusion_volume_infused', value: volumeMl },
        { metric: 'infusion_pressure', value: pressure },
      ]
    },
  }
  const sampler = createChannelSampler(startMs, [
    pump,
    createBatteryChannel(battery, config.batteryIntervalMs),
  ])
  const status = createStatusReporter({
    firmware: config.firmware,
    onMainsPower: config.onMainsPower,
    battery,
    rssiMeanDbm: config.rssiMeanDbm,
    rng,
    startMs,
  })
  return batteryPoweredDevice({
    deviceId,
    type: 'infusion-pump',
    reportIntervalMs: config.reportIntervalMs,
    sampler,
    battery,
    status,
  })
}

export const infusionPumpProfile: DeviceProfile<InfusionPumpConfig> = {
  type: 'infusion-pump',
  summary: 'Volumetric infusion pump: state, rate, volume infused, downstream pressure, battery.',
  configSchema: infusionPumpConfigSchema,
  create: createInfusionPump,
}
