import type * as Crypto from 'node:crypto'
import { timingSafeEqual } from 'node:crypto'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createDeviceStore } from '../../../../gateway/device-store/device-store.js'
import {
  generateSecret,
  hashSecret,
  isSupportedSecretHash,
  verifySecret,
} from '../../../../gateway/device-store/secrets.js'

// The real comparison, observed: proves every verdict goes through the constant-time path.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof Crypto>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})
const compare = vi.mocked(timingSafeEqual)

describe('gateway > device store > secrets', () => {
  it('generates 32 random bytes as base64url', () => {
    const secret = generateSecret()
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32)
    expect(generateSecret()).not.toBe(secret)
  })

  it('hashes as sha256$<salt>$<hash>, salted so equal secrets hash differently', () => {
    const secret = generateSecret()
    const stored = hashSecret(secret)
    expect(stored).toMatch(/^sha256\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/)
    expect(stored).not.toContain(secret)
    expect(hashSecret(secret)).not.toBe(stored)
    expect(hashSecret(secret, Buffer.from('fixed-salt'))).toBe(hashSecret(secret, Buffer.from('fixed-salt')))
  })

  it('accepts the right secret, as a string or as the CONNECT password buffer', () => {
    const secret = generateSecret()
    const stored = hashSecret(secret)
    expect(verifySecret(stored, secret)).toBe(true)
    expect(verifySecret(stored, Buffer.from(secret, 'utf8'))).toBe(true)
  })

  it('refuses a wrong, empty or missing secret', () => {
    const secret = generateSecret()
    const stored = hashSecret(secret)
    expect(verifySecret(stored, generateSecret())).toBe(false)
    expect(verifySecret(stored, `${secret}x`)).toBe(false)
    expect(verifySecret(stored, '')).toBe(false)
    expect(verifySecret(stored, Buffer.alloc(0))).toBe(false)
    expect(verifySecret(stored, undefined)).toBe(false)
  })

  it.each([
    ['empty', ''],
    ['prefix only', 'sha256$'],
    ['empty parts', 'sha256$$'],
    ['missing hash', 'sha256$c2FsdA'],
    ['truncated hash', 'sha256$c2FsdA$AAAA'],
    ['not base64url', `sha256$sa lt$${'A'.repeat(43)}`],
    ['extra part', `sha256$c2FsdA$${'A'.repeat(43)}$x`],
    ['unknown format', `md5$c2FsdA$${'A'.repeat(43)}`],
    ['scrypt (not supported)', `scrypt$15$c2FsdA$${'A'.repeat(43)}`],
    ['plain text', 'hunter2'],
  ])('never throws on a malformed stored hash (%s): the answer is no', (_, stored) => {
    expect(() => verifySecret(stored, 'hunter2')).not.toThrow()
    expect(verifySecret(stored, 'hunter2')).toBe(false)
    expect(isSupportedSecretHash(stored)).toBe(false)
  })

  it('never throws when the stored value is not even a string', () => {
    expect(verifySecret(undefined as unknown as string, 'x')).toBe(false)
    expect(verifySecret({} as unknown as string, 'x')).toBe(false)
  })
})

describe('gateway > device store > secrets > timing-safe path', () => {
  // A block body: a function returned from beforeEach would be run as its teardown.
  beforeEach(() => {
    compare.mockClear()
  })

  it('decides right and wrong secrets with one constant-time comparison of equal-length digests', () => {
    const secret = generateSecret()
    const stored = hashSecret(secret)
    const nearMiss = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`
    const farMiss = `${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`
    for (const presented of [secret, nearMiss, farMiss]) verifySecret(stored, presented)
    expect(compare).toHaveBeenCalledTimes(3)
    for (const [a, b] of compare.mock.calls) {
      expect(a.byteLength).toBe(32)
      expect(b.byteLength).toBe(32)
    }
    expect(compare.mock.results.map((r) => r.value as boolean)).toEqual([true, false, false])
  })

  it('never reaches the comparison with a malformed hash (it would throw on a length mismatch)', () => {
    expect(verifySecret('sha256$c2FsdA$AAAA', 'x')).toBe(false)
    expect(compare).not.toHaveBeenCalled()
  })

  it('spends a hash on unknown devices too, so timing does not reveal which ids exist', () => {
    const store = createDeviceStore()
    expect(store.authenticate('nobody', Buffer.from('guess'))).toBe('unknown')
    expect(compare).toHaveBeenCalledTimes(1)
  })
})
