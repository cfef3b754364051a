import type { DeviceContext } from './device-store-file.js'
import type { DeviceStore } from './device-store.js'

export interface ProvisionTarget extends DeviceContext {
  deviceId: string
}

export interface ProvisionResult {
  /** deviceId → secret in clear: what `pulsewire sim --credentials` reads. */
  credentials: Record<string, string>
  added: number
  rotated: number
  reEnrolled: number
}

/**
 * Ids in the simulator's own scheme (`<prefix>0001`…, as `planDevices` numbers a fleet
 * group), so quick dev credentials line up with a fleet that uses the same prefix.
 */
export function sequentialDeviceIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`)
}

/** Registers every target, issuing a fresh secret to those already registered. */
export function provisionDevices(store: DeviceStore, targets: readonly ProvisionTarget[]): ProvisionResult {
  const result: ProvisionResult = { credentials: {}, added: 0, rotated: 0, reEnrolled: 0 }
  for (const { deviceId, ...context } of targets) {
    const { secret, outcome } = store.add(deviceId, { ...context, rotate: true })
    result.credentials[deviceId] = secret
    if (outcome === 'added') result.added++
    else if (outcome === 'rotated') result.rotated++
    else result.reEnrolled++
  }
  return result
}
