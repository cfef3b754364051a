import { describe, expect, it } from 'vitest'
import { createDeviceStore } from '../../../../gateway/device-store/device-store.js'
import { provisionDevices, sequentialDeviceIds } from '../../../../gateway/device-store/provision.js'

describe('gateway > device store > provision', () => {
  it('numbers ids as the simulator does', () => {
    expect(sequentialDeviceIds('t-', 3)).toEqual(['t-0001', 't-0002', 't-0003'])
    expect(sequentialDeviceIds('x', 0)).toEqual([])
  })

  it('adds new devices, rotates active ones, re-enrols revoked ones; every secret verifies', () => {
    const store = createDeviceStore()
    store.add('t-0001')
    store.add('t-0002')
    store.revoke('t-0002')
    const targets = sequentialDeviceIds('t-', 3).map((deviceId) => ({ deviceId, type: 'wearable' as const }))
    const result = provisionDevices(store, targets)
    expect(result).toMatchObject({ added: 1, rotated: 1, reEnrolled: 1 })
    expect(Object.keys(result.credentials)).toEqual(['t-0001', 't-0002', 't-0003'])
    for (const [id, secret] of Object.entries(result.credentials)) {
      expect(store.authenticate(id, Buffer.from(secret))).toBe('ok')
      expect(store.lookup(id)).toEqual({ type: 'wearable' })
    }
  })
})
