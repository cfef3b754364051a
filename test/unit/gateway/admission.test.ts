import { describe, expect, it } from 'vitest'
import {
  addressKey,
  createAdmission,
  normalizeAddress,
  type AdmissionLimits,
} from '../../../gateway/admission.js'
import { gatewayConfigSchema } from '../../../gateway/config.js'

const limits: AdmissionLimits = {
  maxConnections: 1_000,
  connectRate: { perSecond: 10, burst: 5 },
  authBackoff: { failures: 3, windowMs: 60_000, initialMs: 1_000, maxMs: 8_000 },
  exemptAddresses: ['127.0.0.1', '::1'],
  maxTrackedAddresses: 100,
  logWindowMs: 60_000,
}

/** Time moves only when told to (the admission reads `now()` and never sleeps). */
function manualClock() {
  let now = Date.UTC(2026, 0, 1)
  return {
    now: () => now,
    advance: (ms: number): void => {
      now += ms
    },
  }
}

function setup(overrides: Partial<AdmissionLimits> = {}) {
  const clock = manualClock()
  const admission = createAdmission({ ...limits, ...overrides }, clock)
  const reason = (address: string): string => {
    const verdict = admission.admit(address)
    return verdict.ok ? 'ok' : verdict.reason
  }
  return { clock, admission, reason }
}

describe('gateway > admission', () => {
  it('lets a burst through, then the refill rate', () => {
    const { clock, reason } = setup()
    const burst = Array.from({ length: 6 }, () => reason('10.0.0.1'))
    expect(burst).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'connect_rate'])
    expect(reason('10.0.0.2')).toBe('ok') // per address
    clock.advance(99)
    expect(reason('10.0.0.1')).toBe('connect_rate')
    clock.advance(1) // 100 ms at 10/s = one token
    expect(reason('10.0.0.1')).toBe('ok')
    expect(reason('10.0.0.1')).toBe('connect_rate')
    clock.advance(10_000) // refills to the burst, not beyond
    expect(Array.from({ length: 6 }, () => reason('10.0.0.1')).filter((r) => r === 'ok')).toHaveLength(5)
  })

  it('exempts the configured addresses from the rate, not from the connection cap', () => {
    const { admission, reason } = setup({ maxConnections: 20 })
    expect(Array.from({ length: 20 }, () => reason('127.0.0.1')).every((r) => r === 'ok')).toBe(true)
    expect(reason('::ffff:127.0.0.1')).toBe('max_connections')
    expect(admission.open()).toBe(20)
  })

  it('caps open connections and frees a slot on release (once)', () => {
    const { admission } = setup({ maxConnections: 2 })
    const a = admission.admit('10.0.0.1')
    const b = admission.admit('10.0.0.2')
    const c = admission.admit('10.0.0.3')
    expect(c).toMatchObject({ ok: false, reason: 'max_connections', log: true })
    expect(admission.admit('10.0.0.3')).toMatchObject({ ok: false, log: false }) // logged once per window
    if (!a.ok || !b.ok) throw new Error('expected admission')
    a.release()
    a.release()
    expect(admission.open()).toBe(1)
    expect(admission.admit('10.0.0.3').ok).toBe(true)
  })

  it('backs off an address after repeated auth failures, growing the delay up to the maximum', () => {
    const { clock, admission, reason } = setup({ connectRate: { perSecond: 1_000, burst: 1_000 } })
    const fail = (times: number): void => {
      for (let i = 0; i < times; i++) admission.authFailed('10.0.0.9')
    }
    fail(2)
    expect(reason('10.0.0.9')).toBe('ok')
    fail(1) // third failure: blocked 1 s
    expect(reason('10.0.0.9')).toBe('auth_backoff')
    expect(reason('10.0.0.10')).toBe('ok')
    clock.advance(1_000)
    expect(reason('10.0.0.9')).toBe('ok')
    const blockedFor = (): number => {
      fail(3)
      let ms = 0
      while (reason('10.0.0.9') === 'auth_backoff') {
        clock.advance(250)
        ms += 250
      }
      return ms
    }
    expect([blockedFor(), blockedFor(), blockedFor(), blockedFor()]).toEqual([2_000, 4_000, 8_000, 8_000])
    clock.advance(8_001) // a quiet spell as long as the maximum forgives the strikes
    expect(blockedFor()).toBe(1_000)
  })

  it('does not count failures older than the window, and a success starts the count again', () => {
    const { clock, admission, reason } = setup()
    admission.authFailed('10.0.0.9')
    admission.authFailed('10.0.0.9')
    clock.advance(60_001)
    admission.authFailed('10.0.0.9')
    expect(reason('10.0.0.9')).toBe('ok')
    admission.authFailed('10.0.0.9')
    admission.authSucceeded('10.0.0.9')
    admission.authFailed('10.0.0.9')
    admission.authFailed('10.0.0.9')
    expect(reason('10.0.0.9')).toBe('ok')
  })

  it('holds at most maxTrackedAddresses entries, evicting the least recently seen', () => {
    const { admission, reason } = setup({ maxTrackedAddresses: 50, maxConnections: 1_000_000 })
    for (let i = 0; i < 5; i++) reason('10.1.0.1') // keeps its bucket empty while others arrive
    for (let i = 0; i < 10_000; i++) {
      admission.admit(`10.2.${i >> 8}.${i & 255}`)
      if (i % 10 === 0) admission.admit('10.1.0.1') // recently seen: not evicted
    }
    expect(admission.tracked()).toBe(50)
    expect(reason('10.1.0.1')).toBe('connect_rate')
  })

  it('keys IPv6 by /64 and an IPv4-mapped address as IPv4', () => {
    expect(normalizeAddress('::ffff:10.0.0.1')).toBe('10.0.0.1')
    expect(normalizeAddress('FE80::1%eth0')).toBe('fe80::1')
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1')
    const { reason } = setup()
    for (let i = 0; i < 5; i++) expect(reason(`2001:db8:1:2::${i + 1}`)).toBe('ok')
    expect(reason('2001:db8:1:2:dead::beef')).toBe('connect_rate')
  })

  it('with the default config, lets a 10,000-device load test connect from loopback in 3 s', () => {
    const defaults = gatewayConfigSchema.parse({}).limits
    const run = (exemptAddresses: readonly string[]): number => {
      const clock = manualClock()
      const admission = createAdmission({ ...defaults, exemptAddresses, logWindowMs: 60_000 }, clock)
      let accepted = 0
      for (let i = 0; i < 10_000; i++) {
        if (i % 10 === 0) clock.advance(3) // 10,000 over 3 s
        if (admission.admit('::ffff:127.0.0.1').ok) accepted++
      }
      return accepted
    }
    expect(run(defaults.exemptAddresses)).toBe(10_000)
    // Without the exemption, the per-address default (burst 200, 20/s) would refuse most of them.
    expect(run([])).toBeLessThan(300)
  })
})
