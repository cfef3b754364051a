import type { DeviceType } from '../../core/telemetry/envelope.js'
import { bedsideMonitorProfile } from './bedside-monitor/bedside-monitor.js'
import { environmentalSensorProfile } from './environmental-sensor/environmental-sensor.js'
import { infusionPumpProfile } from './infusion-pump/infusion-pump.js'
import type { DeviceProfile } from './profile.js'
import { vibrationSensorProfile } from './vibration-sensor/vibration-sensor.js'
import { wearableProfile } from './wearable/wearable.js'

/** Every device profile, listed explicitly (no registration by import side effect). */
export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  bedsideMonitorProfile,
  wearableProfile,
  infusionPumpProfile,
  environmentalSensorProfile,
  vibrationSensorProfile,
]

export function profileByType(type: DeviceType): DeviceProfile | undefined {
  return DEVICE_PROFILES.find((profile) => profile.type === type)
}
