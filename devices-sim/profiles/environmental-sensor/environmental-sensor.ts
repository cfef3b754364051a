import { z } from 'zod'
import { DEVICE_TYPE_TABLE } from '../../../core/telemetry/device-types.js'
import { createBattery } from '../../signals/battery.js'
import { circadian } from '../../signals/circadian.js'
import { createOu } from '../../signals/ou.js'
import { createBatteryChannel, createChannelSampler, type Channel } from '../channels.js'
import type { DeviceProfile, ProfileContext, SimDevice } from '../profile.js'
import { batteryPoweredDevice, createStatusReporter } from '../status.js'

const YEAR_MS = 365 * 86_400_000

export const environmentalSensorConfigSchema = z.strictObject({
  reportIntervalMs: z
    .number()
    .int()
    .positive()
    .default(DEVICE_TYPE_TABLE['environmental-sensor'].reportIntervalMs)
    .describe('Publish and sample interval, ms.'),
  baselineTemperature: z
    .number()
    .min(-40)
    .max(85)
    .default(21.5)
    .describe('Daily mean room temperature, Cel.'),
  baselineHumidity: z.number().min(0).max(100).default(45).describe('Daily mean relative humidity, %.'),
  baselinePressureHpa: z
    .number()
    .min(300)
    .max(1100)
    .default(1013.25)
    .describe('Mean barometric pressure, hPa.'),
  humidityDriftPerYear: z
    .number()
    .default(0.5)
    .describe('Long-term humidity sensor drift, %RH per year (domain.md §4: BME280 0.5 %RH/yr).'),
  driftAcceleration: z
    .number()
    .min(0)
    .default(1)
    .describe('Time-lapse factor for the drift (8760 = one year of drift per hour; §7 "accelerated").'),
  batteryStartPct: z.number().min(0).max(100).default(100).describe('Battery level at start, %.'),
  batteryDrainPerHour: z
    .number()
    .min(0)
    .default(0.01)
    .describe('Own drain, percentage points per hour (years).'),
  batteryIntervalMs: z
    .number()
    .int()
    .positive()
    .default(600_000)
    .describe('battery_level sample interval, ms.'),
  rssiMeanDbm: z.number().min(-110).max(-20).default(-75).describe('Mean radio signal strength, dBm.'),
  firmware: z.string().min(1).default('0.9.7').describe('Firmware version reported in the device status.'),
})
export type EnvironmentalSensorConfig = z.output<typeof environmentalSensorConfigSchema>

/**
 * BME280-like room sensor (domain.md §4): the room itself wanders slowly (HVAC, people, weather)
 * and the part adds its datasheet noise — 0.02 %RH and 0.2 Pa RMS — plus humidity drift.
 */
export function createEnvironmentalSensor(context: ProfileContext<EnvironmentalSensorConfig>): SimDevice {
  const { config, rng, startMs, deviceId } = context
  const ou = (label: string, tauMs: number, sigma: number): ((tMs: number) => number) => {
    const process = createOu({ tauMs, sigma, rng: rng.fork(label), startMs })
    return (tMs) => process.at(tMs)
  }
  const room = { temperature: ou('room-temp', 1_800_000, 0.3), humidity: ou('room-rh', 1_800_000, 1.5) }
  const weather = ou('weather', 43_200_000, 4)
  // Sensor noise: τ = 1 s response time (§4), so consecutive 10-s readings are independent.
  const noise = {
    temperature: ou('noise-temp', 1000, 0.01),
    humidity: ou('noise-rh', 1000, 0.02),
    pressure: ou('noise-p', 1000, 0.002),
  }
  const environment: Channel = {
    periodMs: config.reportIntervalMs,
    acquire(tMs) {
      const daily = circadian(tMs, { amplitude: 0.8, peakHour: 15 })
      const roomTemp = config.baselineTemperature + daily + room.temperature(tMs)
      // Warmer air holds more water: relative humidity falls as the room warms.
      const drift = (config.humidityDriftPerYear * config.driftAcceleration * (tMs - startMs)) / YEAR_MS
      const humidity = config.baselineHumidity - 3 * daily + room.humidity(tMs) + drift + noise.humidity(tMs)
      // Pressure offset temperature coefficient ±1.5 Pa/K (§4), relative to the daily mean.
      const pressure =
        config.baselinePressureHpa +
        weather(tMs) +
        0.015 * (roomTemp - config.baselineTemperature) +
        noise.pressure(tMs)
      return [
        { metric: 'ambient_temperature', value: roomTemp + noise.temperature(tMs) },
        { metric: 'relative_humidity', value: humidity },
        { metric: 'barometric_pressure', value: pressure },
      ]
    },
  }
  const battery = createBattery({
    startPct: config.batteryStartPct,
    drainPerHour: config.batteryDrainPerHour,
    startMs,
  })
  const sampler = createChannelSampler(startMs, [
    environment,
    createBatteryChannel(battery, config.batteryIntervalMs),
  ])
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
    type: 'environmental-sensor',
    reportIntervalMs: config.reportIntervalMs,
    sampler,
    battery,
    status,
  })
}

export const environmentalSensorProfile: DeviceProfile<EnvironmentalSensorConfig> = {
  type: 'environmental-sensor',
  summary: 'BME280-like room sensor: temperature, humidity, pressure every 10 s, on battery.',
  configSchema: environmentalSensorConfigSchema,
  create: createEnvironmentalSensor,
}
