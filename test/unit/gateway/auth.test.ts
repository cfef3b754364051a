import { describe, expect, it } from 'vitest'
import {
  decideConnect,
  maySubscribe,
  routePublish,
  type AuthOutcome,
  type DeviceDirectory,
} from '../../../gateway/auth.js'

function directory(outcome: AuthOutcome): DeviceDirectory {
  return { authenticate: () => outcome, lookup: () => undefined }
}

describe('gateway > auth', () => {
  it('maps registry outcomes to MQTT 3.1.1 CONNACK return codes', () => {
    expect(decideConnect(directory('ok'), 'bm-1', 'bm-1', Buffer.from('s'))).toEqual({ ok: true })
    // Was 4 (bad user name or password) until issue #10: now 5, the same code as an unknown id.
    expect(decideConnect(directory('bad-secret'), 'bm-1', 'bm-1', Buffer.from('x'))).toMatchObject({
      returnCode: 5,
      outcome: 'bad_secret',
    })
    expect(decideConnect(directory('unknown'), 'bm-1', 'bm-1', undefined)).toMatchObject({
      returnCode: 5,
      outcome: 'unknown',
    })
    expect(decideConnect(directory('revoked'), 'bm-1', 'bm-1', undefined)).toMatchObject({
      returnCode: 5,
      outcome: 'revoked',
    })
  })

  it('gives an unknown id, a revoked id and a wrong secret the same CONNACK code', () => {
    const codeOf = (outcome: AuthOutcome): unknown => {
      const decision = decideConnect(directory(outcome), 'bm-1', 'bm-1', Buffer.from('x'))
      return decision.ok ? 0 : decision.returnCode
    }
    expect(new Set([codeOf('unknown'), codeOf('revoked'), codeOf('bad-secret')])).toEqual(new Set([5]))
  })

  it('requires the client id to be the device id (and the username, when given)', () => {
    expect(decideConnect(directory('ok'), 'bm-1', 'bm-2', undefined)).toMatchObject({ returnCode: 2 })
    expect(decideConnect(directory('ok'), 'devices/#', undefined, undefined)).toMatchObject({ returnCode: 2 })
    expect(decideConnect(directory('ok'), 'bm-1', undefined, Buffer.from('s'))).toEqual({ ok: true })
  })

  it('lets a device publish only its own telemetry and status', () => {
    expect(routePublish('bm-1', 'devices/bm-1/telemetry')).toBe('telemetry')
    expect(routePublish('bm-1', 'devices/bm-1/status')).toBe('status')
    expect(routePublish('bm-1', 'devices/bm-2/telemetry')).toBe('denied')
    expect(routePublish('bm-1', 'devices/bm-1/commands')).toBe('denied')
    expect(routePublish('bm-1', 'alerts/bm-1')).toBe('denied')
  })

  it('lets a device subscribe only to its own commands and alerts, without wildcards', () => {
    expect(maySubscribe('bm-1', 'devices/bm-1/commands')).toBe(true)
    expect(maySubscribe('bm-1', 'alerts/bm-1')).toBe(true)
    expect(maySubscribe('bm-1', 'alerts/bm-2')).toBe(false)
    expect(maySubscribe('bm-1', 'alerts/#')).toBe(false)
    expect(maySubscribe('bm-1', 'devices/+/commands')).toBe(false)
  })
})

describe('gateway > auth > client certificate identity (mTLS, issue #10 finding 3)', () => {
  const enrolled: DeviceDirectory = {
    authenticate: (_id, password) => (password === undefined ? 'bad-secret' : 'ok'),
    lookup: (id) => (id === 'bm-1' ? {} : undefined),
  }

  it('a verified certificate naming the client id of an enrolled device needs no password', () => {
    expect(decideConnect(enrolled, 'bm-1', undefined, undefined, 'bm-1')).toEqual({
      ok: true,
      viaCertificate: true,
    })
  })

  it('a certificate naming another device is refused with 5, whatever the password', () => {
    for (const password of [undefined, Buffer.from('right')]) {
      expect(decideConnect(enrolled, 'bm-1', 'bm-1', password, 'bm-2')).toMatchObject({
        ok: false,
        returnCode: 5,
        outcome: 'certificate_mismatch',
      })
    }
    expect(decideConnect(enrolled, 'bm-1', undefined, undefined, '')).toMatchObject({ returnCode: 5 })
  })

  it('a certificate for an id that is not enrolled (or revoked) is refused with 5; its password is not tried', () => {
    const passwords: Array<Buffer | undefined> = []
    const revoked: DeviceDirectory = {
      authenticate: (_id, password) => (passwords.push(password), 'revoked'),
      lookup: () => undefined,
    }
    expect(decideConnect(revoked, 'bm-1', undefined, Buffer.from('s'), 'bm-1')).toMatchObject({
      returnCode: 5,
      outcome: 'revoked',
    })
    expect(passwords).toEqual([undefined])
  })
})
