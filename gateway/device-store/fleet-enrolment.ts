import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { deviceTypeSpec, isKnownDeviceType, type KnownDeviceType } from '../../core/telemetry/device-types.js'
import { writeFileAtomic, saveDeviceStoreFile } from './device-store-file.js'
import { provisionDevices, type ProvisionResult, type ProvisionTarget } from './provision.js'
import { openDeviceStoreFile } from './open-device-store.js'

export interface FleetContextOptions {
  type?: KnownDeviceType | undefined
  site?: string | undefined
  subjectId?: string | undefined
  /** Demo data: a site per kind of device and a random pseudonymous subject per medical device. */
  demoContext?: boolean
}

/** A device of a simulator fleet (or any list) to enrol, with the type its profile simulates. */
export interface EnrolmentDevice {
  deviceId: string
  profileType: string
}

/** The device-store context to enrol each device of a fleet with. */
export function enrolmentTargets(
  devices: readonly EnrolmentDevice[],
  options: FleetContextOptions = {},
): ProvisionTarget[] {
  return devices.map(({ deviceId, profileType }) => {
    const type = options.type ?? (isKnownDeviceType(profileType) ? profileType : undefined)
    const medical = type !== undefined && deviceTypeSpec(type).medical
    return {
      deviceId,
      type,
      site: options.site ?? (options.demoContext ? (medical ? 'ward-3' : 'hall-a') : undefined),
      subjectId:
        options.subjectId ??
        (options.demoContext && medical ? `s-${randomBytes(4).toString('hex')}` : undefined),
    }
  })
}

/** Enrols (or rotates) every target and writes the deviceId → secret map the simulator reads. */
export function provisionToFiles(
  targets: readonly ProvisionTarget[],
  storeFile: string,
  credentialsFile: string,
): ProvisionResult {
  const store = openDeviceStoreFile(storeFile)
  const result = provisionDevices(store, targets)
  saveDeviceStoreFile(storeFile, store.toData())
  writeFileAtomic(resolve(credentialsFile), `${JSON.stringify(result.credentials, null, 2)}\n`)
  return result
}
