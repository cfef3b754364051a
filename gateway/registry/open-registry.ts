import { createDeviceRegistry, type DeviceRegistry } from './device-registry.js'
import { loadRegistryFile } from './registry-file.js'

/** A registry file opened for editing; a missing file reads as empty (the first save creates it). */
export const openRegistryFile = (file: string): DeviceRegistry =>
  createDeviceRegistry({ data: loadRegistryFile(file, { allowMissing: true }) })
