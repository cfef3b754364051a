import type { Client } from 'aedes'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createDeviceStore } from '../../../gateway/device-store/device-store.js'
import { createGatewayMetrics } from '../../../gateway/metrics.js'
import { createRevocation } from '../../../gateway/revocation.js'
import { silentLogger } from '../../helpers/services.js'

function fakeClient(id: string): Client & { closes: number } {
  const client = {
    id,
    closed: false,
    closes: 0,
    close() {
      client.closes++
      client.closed = true
    },
  }
  return client as unknown as Client & { closes: number }
}

function setup() {
  const store = createDeviceStore()
  const registry = new Registry()
  const metrics = createGatewayMetrics(registry)
  const revocation = createRevocation({ directory: store, metrics, logger: silentLogger })
  const count = async (name: string, reason: string): Promise<number> =>
    (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.reason === reason)?.value ?? 0
  return { store, revocation, count }
}

describe('gateway > revocation', () => {
  it('lets an enrolled device publish; refuses it once revoked, counting each refused publish', async () => {
    const { store, revocation, count } = setup()
    store.add('bm-1')
    const client = fakeClient('bm-1')
    revocation.admitted(client, 'secret')
    expect(revocation.mayPublish(client)).toBe(true)
    store.revoke('bm-1')
    expect(revocation.mayPublish(client)).toBe(false)
    expect(revocation.mayPublish(client)).toBe(false)
    expect(await count('pulsewire_gateway_revoked_publishes_total', 'not_enrolled')).toBe(2)
  })

  it('refuses a device the registry never knew (no payload picks its channel)', () => {
    const { revocation } = setup()
    expect(revocation.mayPublish(fakeClient('ghost'))).toBe(false)
  })

  it('a secret rotation ends secret connections, not certificate ones; a role change ends both', async () => {
    const { store, revocation, count } = setup()
    store.add('bm-1')
    store.add('bm-2')
    const bySecret = fakeClient('bm-1')
    const byCertificate = fakeClient('bm-2')
    revocation.admitted(bySecret, 'secret')
    revocation.admitted(byCertificate, 'certificate')
    store.add('bm-1', { rotate: true })
    store.add('bm-2', { rotate: true })
    revocation.sweep([bySecret, byCertificate])
    expect([bySecret.closes, byCertificate.closes]).toEqual([1, 0])
    expect(await count('pulsewire_gateway_revocation_disconnects_total', 'secret_rotated')).toBe(1)
    store.add('bm-2', { rotate: true, role: 'alert-viewer' })
    revocation.sweep([bySecret, byCertificate])
    expect([bySecret.closes, byCertificate.closes]).toEqual([1, 1])
    expect(await count('pulsewire_gateway_revocation_disconnects_total', 'role_changed')).toBe(1)
  })

  it('a sweep closes exactly the connections no longer entitled', async () => {
    const { store, revocation, count } = setup()
    const clients = ['a', 'b', 'c'].map((id) => {
      store.add(id)
      const client = fakeClient(id)
      revocation.admitted(client, 'secret')
      return client
    })
    store.revoke('b')
    revocation.sweep(clients)
    revocation.sweep(clients)
    expect(clients.map((c) => c.closes)).toEqual([0, 1, 0])
    expect(await count('pulsewire_gateway_revocation_disconnects_total', 'not_enrolled')).toBe(1)
  })
})
