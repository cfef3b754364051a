import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import {
  writeFileAtomic,
  saveRegistryFile,
  REGISTRY_DEVICE_TYPES,
  type RegistryDeviceType,
} from '../gateway/registry/registry-file.js'
import {
  provisionDevices,
  type ProvisionResult,
  type ProvisionTarget,
} from '../gateway/registry/provision.js'
import { openRegistryFile } from '../gateway/registry/open-registry.js'

export interface FleetContextOptions {
  type?: RegistryDeviceType | undefined
  site?: string | undefined
  subjectId?: string | undefined
  /** Demo data: a site per kind of device and a random pseudonymous subject per medical device. */
  demoContext?: boolean
}

const MEDICAL = new Set<string>(['bedside-monitor', 'wearable', 'infusion-pump'])

/** Every device id a simulator fleet file runs, with the registry context to enrol it with. */
export async function fleetTargets(
  fleetFile: string,
  options: FleetContextOptions = {},
): Promise<ProvisionTarget[]> {
  // Loaded on demand: only fleet provisioning needs the simulator's fleet parsing and profiles.
  const { loadFleetFile } = await import('../devices-sim/fleet/fleet-file.js')
  const { planDevices } = await import('../devices-sim/runtime/fleet-runner.js')
  const fleet = loadFleetFile(fleetFile)
  return planDevices(fleet).map(({ deviceId, groupIndex }) => {
    const type = options.type ?? registryType(fleet.groups[groupIndex]?.profile.type)
    const medical = type !== undefined && MEDICAL.has(type)
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
  registryFile: string,
  credentialsFile: string,
): ProvisionResult {
  const registry = openRegistryFile(registryFile)
  const result = provisionDevices(registry, targets)
  saveRegistryFile(registryFile, registry.toData())
  writeFileAtomic(resolve(credentialsFile), `${JSON.stringify(result.credentials, null, 2)}\n`)
  return result
}

export function registryType(type: string | undefined): RegistryDeviceType | undefined {
  return REGISTRY_DEVICE_TYPES.find((t) => t === type)
}
