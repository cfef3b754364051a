import { planDevices } from '../runtime/fleet-runner.js'
import { loadFleetFile } from './fleet-file.js'

export interface FleetDevice {
  deviceId: string
  /** The profile type of the device's group (`bedside-monitor`, …). */
  profileType: string
}

/** Every device id a fleet file runs, with its profile type: what enrolment needs to know. */
export function fleetDevices(fleetFile: string): FleetDevice[] {
  const fleet = loadFleetFile(fleetFile)
  return planDevices(fleet).map(({ deviceId, groupIndex }) => ({
    deviceId,
    profileType: fleet.groups[groupIndex]?.profile.type ?? '',
  }))
}
