import { createDeviceStore, type DeviceStore } from './device-store.js'
import { loadDeviceStoreFile } from './device-store-file.js'

/** A device-store file opened for editing; a missing file reads as empty (the first save creates it). */
export const openDeviceStoreFile = (file: string): DeviceStore =>
  createDeviceStore({ data: loadDeviceStoreFile(file, { allowMissing: true }) })
