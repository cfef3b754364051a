import { describe, expect, it } from 'vitest'
import { createDeviceRegistry, type DeviceRegistry } from '../../../../gateway/registry/device-registry.js'
import { RegistryError, type RegistryFailure } from '../../../../gateway/registry/registry-error.js'
import {
  parseRegistry,
  type RegistryData,
  type RegistrySource,
} from '../../../../gateway/registry/registry-file.js'

const T0 = Date.parse('2025-05-01T09:00:00.000Z')

function setup(): { registry: DeviceRegistry; clock: { now: () => number; ms: number } } {
  const clock = { ms: T0, now: () => clock.ms }
  let n = 0
  const registry = createDeviceRegistry({ clock, newSecret: () => `secret-${++n}` })
  return { registry, clock }
}

function failure(fn: () => unknown): RegistryFailure {
  try {
    fn()
  } catch (err) {
    if (err instanceof RegistryError) return err.reason
    throw err
  }
  throw new Error('expected a RegistryError')
}

const pw = (text: string): Buffer => Buffer.from(text, 'utf8')

describe('gateway > registry > authenticate', () => {
  it('says ok for the right secret of an active device', () => {
    const { registry } = setup()
    const { secret } = registry.add('bm-0001', { type: 'bedside-monitor' })
    expect(registry.authenticate('bm-0001', pw(secret))).toBe('ok')
  })

  it('says bad-secret for a wrong or missing password', () => {
    const { registry } = setup()
    registry.add('bm-0001')
    expect(registry.authenticate('bm-0001', pw('secret-2'))).toBe('bad-secret')
    expect(registry.authenticate('bm-0001', undefined)).toBe('bad-secret')
    expect(registry.authenticate('bm-0001', Buffer.alloc(0))).toBe('bad-secret')
  })

  it('says unknown for an id that was never registered', () => {
    const { registry } = setup()
    registry.add('bm-0001')
    expect(registry.authenticate('bm-0002', pw('secret-1'))).toBe('unknown')
    expect(registry.authenticate('', undefined)).toBe('unknown')
  })

  it('says revoked for a revoked device, even with its right secret', () => {
    const { registry } = setup()
    const { secret } = registry.add('bm-0001')
    registry.revoke('bm-0001')
    expect(registry.authenticate('bm-0001', pw(secret))).toBe('revoked')
  })

  it('refuses everything before anything is loaded (fail closed)', () => {
    expect(createDeviceRegistry().authenticate('bm-0001', pw('x'))).toBe('unknown')
  })
})

describe('gateway > registry > add, rotate, revoke', () => {
  it('stores only a hash, with the context and the enrolment time', () => {
    const { registry } = setup()
    const { secret, outcome } = registry.add('bm-0001', {
      type: 'bedside-monitor',
      site: 'ward-3',
      subjectId: 's-7f3a',
    })
    expect(outcome).toBe('added')
    const entry = registry.toData().devices['bm-0001']
    expect(entry).toMatchObject({ type: 'bedside-monitor', site: 'ward-3', subjectId: 's-7f3a' })
    expect(entry?.createdAt).toBe('2025-05-01T09:00:00.000Z')
    expect(entry?.secretHash).toMatch(/^sha256\$/)
    expect(JSON.stringify(registry.toData())).not.toContain(secret)
    expect(registry.lookup('bm-0001')).toEqual({
      type: 'bedside-monitor',
      site: 'ward-3',
      subjectId: 's-7f3a',
    })
  })

  it('refuses to add an active device twice unless asked to rotate', () => {
    const { registry } = setup()
    registry.add('bm-0001')
    expect(failure(() => registry.add('bm-0001'))).toBe('device-exists')
    expect(registry.authenticate('bm-0001', pw('secret-1'))).toBe('ok')
  })

  it('rotates: a new secret, the old one stops working, the assignment and enrolment time stay', () => {
    const { registry, clock } = setup()
    registry.add('bm-0001', { type: 'bedside-monitor', site: 'ward-3', subjectId: 's-7f3a' })
    clock.ms += 60_000
    const { secret, outcome } = registry.add('bm-0001', { site: 'ward-4', rotate: true })
    expect(outcome).toBe('rotated')
    expect(secret).toBe('secret-2')
    expect(registry.authenticate('bm-0001', pw('secret-1'))).toBe('bad-secret')
    expect(registry.authenticate('bm-0001', pw('secret-2'))).toBe('ok')
    expect(registry.lookup('bm-0001')).toEqual({
      type: 'bedside-monitor',
      site: 'ward-4',
      subjectId: 's-7f3a',
    })
    expect(registry.list()[0]?.createdAt).toBe('2025-05-01T09:00:00.000Z')
  })

  it('with rotate, adds a device that does not exist yet', () => {
    const { registry } = setup()
    expect(registry.add('bm-0001', { rotate: true }).outcome).toBe('added')
  })

  it('re-enrols a revoked device with a clean slate: no old subject carried over', () => {
    const { registry, clock } = setup()
    registry.add('bm-0001', { site: 'ward-3', subjectId: 's-old' })
    registry.revoke('bm-0001')
    clock.ms += 3_600_000
    const { secret, outcome } = registry.add('bm-0001', { site: 'ward-5' })
    expect(outcome).toBe('re-enrolled')
    expect(registry.authenticate('bm-0001', pw(secret))).toBe('ok')
    expect(registry.lookup('bm-0001')).toEqual({ site: 'ward-5' })
    expect(registry.list()[0]).toMatchObject({ status: 'active', createdAt: '2025-05-01T10:00:00.000Z' })
    expect(registry.list()[0]?.revokedAt).toBeUndefined()
  })

  it('rejects invalid ids and context, naming the field', () => {
    const { registry } = setup()
    expect(failure(() => registry.add('bad id'))).toBe('invalid-entry')
    expect(failure(() => registry.add('a/b'))).toBe('invalid-entry')
    expect(failure(() => registry.add('x'.repeat(65)))).toBe('invalid-entry')
    expect(failure(() => registry.add('bm-1', { type: 'unspecified' as 'wearable' }))).toBe('invalid-entry')
    expect(failure(() => registry.add('bm-1', { subjectId: 'Jane Doe' }))).toBe('invalid-entry')
    expect(() => registry.add('bm-1', { site: 'ward 3' })).toThrow(/site: site must be a token/)
    expect(registry.list()).toEqual([])
  })

  it('revokes once; a second revoke reports the first time; unknown ids fail', () => {
    const { registry, clock } = setup()
    registry.add('bm-0001')
    clock.ms += 1000
    expect(registry.revoke('bm-0001')).toEqual({
      revokedAt: '2025-05-01T09:00:01.000Z',
      alreadyRevoked: false,
    })
    clock.ms += 1000
    expect(registry.revoke('bm-0001')).toEqual({
      revokedAt: '2025-05-01T09:00:01.000Z',
      alreadyRevoked: true,
    })
    expect(failure(() => registry.revoke('bm-0404'))).toBe('unknown-device')
  })

  it('looks up only active devices', () => {
    const { registry } = setup()
    registry.add('bm-0001', { site: 'ward-3' })
    registry.add('bm-0002')
    registry.revoke('bm-0001')
    expect(registry.lookup('bm-0001')).toBeUndefined()
    expect(registry.lookup('bm-0002')).toEqual({})
    expect(registry.lookup('bm-0404')).toBeUndefined()
  })

  it('lists by id with status, never a secret or hash; its data passes the file schema', () => {
    const { registry } = setup()
    registry.add('wr-0002', { type: 'wearable' })
    registry.add('bm-0001', { site: 'ward-3' })
    registry.revoke('wr-0002')
    const rows = registry.list()
    expect(rows.map((r) => [r.deviceId, r.status])).toEqual([
      ['bm-0001', 'active'],
      ['wr-0002', 'revoked'],
    ])
    expect(JSON.stringify(rows)).not.toMatch(/secret|sha256/)
    expect(parseRegistry(registry.toData(), 'memory')).toEqual(registry.toData())
  })
})

describe('gateway > registry > reload', () => {
  function fakeSource(
    initial: RegistryData,
  ): RegistrySource & { data: RegistryData; v: number; reads: number } {
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
    const writer = setup().registry
    const { secret } = writer.add('bm-0001')
    const source = fakeSource(writer.toData())
    const gateway = createDeviceRegistry({ source })
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
    const writer = setup().registry
    const { secret } = writer.add('bm-0001')
    const source = fakeSource(writer.toData())
    const gateway = createDeviceRegistry({ source })
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
    expect(setup().registry.reload()).toBe('unchanged')
  })
})
