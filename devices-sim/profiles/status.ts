import type { DeviceStatus } from '../../core/telemetry/envelope.js'
import type { Rng } from '../rng.js'
import type { ChannelSampler } from './channels.js'
import type { SimDevice } from './profile.js'
import type { Battery } from '../signals/battery.js'
import { createOu } from '../signals/ou.js'
import { clamp } from '../signals/quantise.js'

export interface StatusOptions {
  firmware: string
  onMainsPower: boolean
  /** Absent for devices without a battery (bedside monitor, vibration sensor on mains). */
  battery?: Battery | undefined
  /** Mean RSSI of a radio link, dBm; absent for wired devices. */
  rssiMeanDbm?: number | undefined
  rng: Rng
  startMs: number
}

/** DeviceStatus at a time: battery rounded to whole %, RSSI wandering a few dB around its mean. */
export function createStatusReporter(options: StatusOptions): (nowMs: number) => DeviceStatus {
  const { battery, rssiMeanDbm } = options
  // Slow fading: a few dB over about a minute (people and trolleys moving past).
  const fading = createOu({
    tauMs: 60_000,
    sigma: 3,
    rng: options.rng.fork('rssi'),
    startMs: options.startMs,
  })
  return (nowMs) => ({
    batteryPct: battery ? Math.round(battery.peek(nowMs)) : undefined,
    rssiDbm:
      rssiMeanDbm === undefined ? undefined : Math.round(clamp(rssiMeanDbm + fading.at(nowMs), -110, -20)),
    firmware: options.firmware,
    onMainsPower: options.onMainsPower,
  })
}

export interface BatteryPoweredParts {
  deviceId: string
  type: SimDevice['type']
  reportIntervalMs: number
  sampler: ChannelSampler
  battery: Battery
  status: (nowMs: number) => DeviceStatus
}

/** The SimDevice of a battery-powered profile: sampling also drains the battery, scenario drain included. */
export function batteryPoweredDevice(parts: BatteryPoweredParts): SimDevice {
  return {
    deviceId: parts.deviceId,
    type: parts.type,
    reportIntervalMs: parts.reportIntervalMs,
    sample(nowMs, effects) {
      const samples = parts.sampler.sample(nowMs, effects)
      // Drain between battery readings too, so status() reflects a scenario's extra drain.
      parts.battery.advanceTo(nowMs, effects.batteryDrainPerHour)
      return samples
    },
    status: parts.status,
  }
}
