import { describe, expect, it } from 'vitest'
import { createDeviceStore, type DeviceStore } from '../../../../gateway/device-store/device-store.js'
import {
  DeviceStoreError,
  type DeviceStoreFailure,
} from '../../../../gateway/device-store/device-store-error.js'
import {
  parseDeviceStore,
  type DeviceStoreData,
  type DeviceStoreSource,
} from '../../../../gateway/device-store/device-store-file.js'

const T0 = Date.parse('2025-05-01T09:00:00.000Z')

function setup(): { store: DeviceStore; clock: { now: () => number; ms: number } } {
  const clock = { ms: T0, now: () => clock.ms }
  let n = 0
  const store = createDeviceStore({ clock, newSecret: () => `secret-${++n}` })
  return { store, clock }
}

function failure(fn: () => unknown): DeviceStoreFailure {
  try {
    fn()
  } catch (err) {
    if (err instanceof DeviceStoreError) return err.reason
    throw err
  }
  throw new Error('expected a DeviceStoreError')
}

const pw = (text: string): Buffer => Buffer.from(text, 'utf8')

describe('gateway > device store > authenticate', () => {
  it('says ok for the right secret of an active device', () => {
    const { store } = setup()
    const { secret } = store.add('bm-0001', { type: 'bedside-monitor' })
    expect(store.authenticate('bm-0001', pw(secret))).toBe('ok')
  })

  it('says bad-secret for a wrong or missing password', () => {
    const { store } = setup()
    store.add('bm-0001')
    expect(store.authenticate('bm-0001', pw('secret-2'))).toBe('bad-secret')
    expect(store.authenticate('bm-0001', undefined)).toBe('bad-secret')
    expect(store.authenticate('bm-0001', Buffer.alloc(0))).toBe('bad-secret')
  })

  it('says unknown for an id that was never registered', () => {
    const { store } = setup()
    store.add('bm-0001')
    expect(store.authenticate('bm-0002', pw('secret-1'))).toBe('unknown')
    expect(store.authenticate('', undefined)).toBe('unknown')
  })

  it('says revoked for a revoked device, even with its right secret', () => {
    const { store } = setup()
    const { secret } = store.add('bm-0001')
    store.revoke('bm-0001')
    expect(store.authenticate('bm-0001', pw(secret))).toBe('revoked')
  })

  it('refuses everything before anything is loaded (fail closed)', () => {
    expect(createDeviceStore().authenticate('bm-0001', pw('x'))).toBe('unknown')
  })
})

describe('gateway > device store > add, rotate, revoke', () => {
  it('stores only a hash, with the context and the enrolment time', () => {
    const { store } = setup()
    const { secret, outcome } = store.add('bm-0001', {
      type: 'bedside-monitor',
      site: 'ward-3',
      subjectId: 's-7f3a',
    })
    expect(outcome).toBe('added')
    const entry = store.toData().devices['bm-0001']
    expect(entry).toMatchObject({ type: 'bedside-monitor', site: 'ward-3', subjectId: 's-7f3a' })
    expect(entry?.createdAt).toBe('2025-05-01T09:00:00.000Z')
    expect(entry?.secretHash).toMatch(/^sha256\$/)
    expect(JSON.stringify(store.toData())).not.toContain(secret)
    expect(store.lookup('bm-0001')).toEqual({
      type: 'bedside-monitor',
      site: 'ward-3',
      subjectId: 's-7f3a',
    })
  })

  it('refuses to add an active device twice unless asked to rotate', () => {
    const { store } = setup()
    store.add('bm-0001')
    expect(failure(() => store.add('bm-0001'))).toBe('device-exists')
    expect(store.authenticate('bm-0001', pw('secret-1'))).toBe('ok')
  })

  it('rotates: a new secret, the old one stops working, the assignment and enrolment time stay', () => {
    const { store, clock } = setup()
    store.add('bm-0001', { type: 'bedside-monitor', site: 'ward-3', subjectId: 's-7f3a' })
    clock.ms += 60_000
    const { secret, outcome } = store.add('bm-0001', { site: 'ward-4', rotate: true })
    expect(outcome).toBe('rotated')
    expect(secret).toBe('secret-2')
    expect(store.authenticate('bm-0001', pw('secret-1'))).toBe('bad-secret')
    expect(store.authenticate('bm-0001', pw('secret-2'))).toBe('ok')
    expect(store.lookup('bm-0001')).toEqual({
      type: 'bedside-monitor',
      site: 'ward-4',
      subjectId: 's-7f3a',
    })
    expect(store.list()[0]?.createdAt).toBe('2025-05-01T09:00:00.000Z')
  })

  it('with rotate, adds a device that does not exist yet', () => {
    const { store } = setup()
    expect(store.add('bm-0001', { rotate: true }).outcome).toBe('added')
  })

  it('re-enrols a revoked device with a clean slate: no old subject carried over', () => {
    const { store, clock } = setup()
    store.add('bm-0001', { site: 'ward-3', subjectId: 's-old' })
    store.revoke('bm-0001')
    clock.ms += 3_600_000
    const { secret, outcome } = store.add('bm-0001', { site: 'ward-5' })
    expect(outcome).toBe('re-enrolled')
    expect(store.authenticate('bm-0001', pw(secret))).toBe('ok')
    expect(store.lookup('bm-0001')).toEqual({ site: 'ward-5' })
    expect(store.list()[0]).toMatchObject({ status: 'active', createdAt: '2025-05-01T10:00:00.000Z' })
    expect(store.list()[0]?.revokedAt).toBeUndefined()
  })

  it('rejects invalid ids and context, naming the field', () => {
    const { store } = setup()
    expect(failure(() => store.add('bad id'))).toBe('invalid-entry')
    expect(failure(() => store.add('a/b'))).toBe('invalid-entry')
    expect(failure(() => store.add('x'.repeat(65)))).toBe('invalid-entry')
    expect(failure(() => store.add('bm-1', { type: 'unspecified' as 'wearable' }))).toBe('invalid-entry')
    expect(failure(() => store.add('bm-1', { subjectId: 'Jane Doe' }))).toBe('invalid-entry')
    expect(() => store.add('bm-1', { site: 'ward 3' })).toThrow(/site: site must be a token/)
    expect(store.list()).toEqual([])
  })

  it('revokes once; a second revoke reports the first time; unknown ids fail', () => {
    const { store, clock } = setup()
    store.add('bm-0001')
    clock.ms += 1000
    expect(store.revoke('bm-0001')).toEqual({
      revokedAt: '2025-05-01T09:00:01.000Z',
      alreadyRevoked: false,
    })
    clock.ms += 1000
    expect(store.revoke('bm-0001')).toEqual({
      revokedAt: '2025-05-01T09:00:01.000Z',
      alreadyRevoked: true,
    })
    expect(failure(() => store.revoke('bm-0404'))).toBe('unknown-device')
  })

  it('looks up only active devices', () => {
    const { store } = setup()
    store.add('bm-0001', { site: 'ward-3' })
    store.add('bm-0002')
    store.revoke('bm-0001')
    expect(store.lookup('bm-0001')).toBeUndefined()
    expect(store.lookup('bm-0002')).toEqual({})
    expect(store.lookup('bm-0404')).toBeUndefined()
  })

  it('lists by id with status, never a secret or hash; its data passes the file schema', () => {
    const { store } = setup()
    store.add('wr-0002', { type: 'wearable' })
    store.add('bm-0001', { site: 'ward-3' })
    store.revoke('wr-0002')
    const rows = store.list()
    expect(rows.map((r) => [r.deviceId, r.status])).toEqual([
      ['bm-0001', 'active'],
      ['wr-0002', 'revoked'],
    ])
    expect(JSON.stringify(rows)).not.toMatch(/secret|sha256/)
    expect(parseDeviceStore(store.toData(), 'memory')).toEqual(store.toData())
  })
})

describe('gateway > device store > reload', () => {
  function fakeSource(
    initial: DeviceStoreData,
  ): DeviceStoreSource & { data: DeviceStoreData; v: number; reads: number } {
    const source = {
      data: initial,
      v: 1,
      reads: 0,
      version: () => String(source.v),
      read: () => {
        source.reads++
        return source.data
      },
    }
    return source
  }

  it('reads on first reload, then only when the version changed, and picks up a revocation', () => {
    const writer = setup().store
    const { secret } = writer.add('bm-0001')
    const source = fakeSource(writer.toData())
    const gateway = createDeviceStore({ source })
    expect(gateway.reload()).toBe('reloaded')
    expect(gateway.authenticate('bm-0001', pw(secret))).toBe('ok')
    expect(gateway.reload()).toBe('unchanged')
    expect(source.reads).toBe(1)

    writer.revoke('bm-0001')
    source.data = writer.toData()
    source.v++
    expect(gateway.reload()).toBe('reloaded')
    expect(gateway.authenticate('bm-0001', pw(secret))).toBe('revoked')
  })

  it('keeps the previous view when the source is bad, and does not re-read the same bad version', () => {
    const writer = setup().store
    const { secret } = writer.add('bm-0001')
    const source = fakeSource(writer.toData())
    const gateway = createDeviceStore({ source })
    gateway.reload()
    source.read = () => {
      source.reads++
      throw new Error('half-edited file')
    }
    source.v++
    expect(() => gateway.reload()).toThrow('half-edited file')
    expect(gateway.authenticate('bm-0001', pw(secret))).toBe('ok')
    expect(gateway.reload()).toBe('unchanged')
    expect(source.reads).toBe(2)
  })

  it('is a no-op without a source', () => {
    expect(setup().store.reload()).toBe('unchanged')
  })
})

describe('gateway > device store > change notification and secret stamp (revocation, issue #10)', () => {
  it('tells listeners after add, revoke and a reload that read; not after an unchanged poll', () => {
    const writer = setup().store
    writer.add('bm-0001')
    const data = writer.toData()
    const gateway = createDeviceStore({ source: { version: () => '1', read: () => data } })
    let calls = 0
    const unsubscribe = gateway.onChange(() => calls++)
    gateway.reload()
    gateway.reload()
    expect(calls).toBe(1)
    gateway.add('bm-0002')
    gateway.revoke('bm-0002')
    expect(calls).toBe(3)
    unsubscribe()
    gateway.revoke('bm-0001')
    expect(calls).toBe(3)
  })

  it('changes the secret stamp on rotation and re-enrolment; none for unknown or revoked devices', () => {
    const { store } = setup()
    store.add('bm-0001')
    const first = store.secretStamp('bm-0001')
    expect(first).toBeDefined()
    expect(store.secretStamp('bm-0001')).toBe(first)
    store.add('bm-0001', { rotate: true })
    const rotated = store.secretStamp('bm-0001')
    expect(rotated).not.toBe(first)
    store.revoke('bm-0001')
    expect(store.secretStamp('bm-0001')).toBeUndefined()
    store.add('bm-0001')
    expect([first, rotated]).not.toContain(store.secretStamp('bm-0001'))
    expect(store.secretStamp('bm-0404')).toBeUndefined()
  })
})
