import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import { actionBody, actionParams, deviceParams } from '../../../processors/web/api-routes.js'
import { createEventRing } from '../../../processors/web/event-ring.js'
import { parsePromText, summarise } from '../../../processors/web/prom-text.js'
import { createLoginLimiter, createSessionStore } from '../../../processors/web/sessions.js'
import { hashPassword, verifyPassword } from '../../../processors/web/users.js'
import { createThrottle, createWard } from '../../../processors/web/ward.js'

const event = (over: Partial<AlertEvent>): AlertEvent => ({
  alertId: 'd1/spo2-low/1',
  deviceId: 'd1',
  subjectId: 's1',
  ruleId: 'spo2-low',
  ruleType: 'threshold',
  kind: 'physiological',
  priority: 'high',
  transition: 'raised',
  metric: 'spo2',
  value: 82,
  limit: 85,
  eventTsMs: 1_000,
  emittedTsMs: 1_010,
  latching: true,
  episode: 1,
  message: 'SpO2 low',
  actor: 'alerting',
  late: false,
  ...over,
})

describe('unit > web > event ring (SSE catch-up)', () => {
  it('gives exactly the missed events, then resync once they left the buffer', () => {
    const ring = createEventRing(4)
    for (let i = 0; i < 3; i++) ring.push('t', i)
    expect(ring.since(1)).toEqual({
      kind: 'events',
      events: [
        { id: 2, type: 't', data: 1 },
        { id: 3, type: 't', data: 2 },
      ],
    })
    expect(ring.since(3)).toEqual({ kind: 'events', events: [] })
    for (let i = 3; i < 10; i++) ring.push('t', i)
    expect(ring.size()).toBe(4)
    expect(ring.since(5)).toEqual({ kind: 'resync' })
    const caught = ring.since(6)
    expect(caught.kind === 'events' && caught.events.map((e) => e.id)).toEqual([7, 8, 9, 10])
  })
})

describe('unit > web > ward state', () => {
  it('keeps a latched alarm after its condition clears until it is reset; records who acted', () => {
    const ward = createWard({ maxDevices: 10, trendPoints: 3, recentAlarms: 2 })
    ward.applyAlert(event({}))
    ward.applyAlert(event({ transition: 'cleared', eventTsMs: 2_000 }))
    expect(ward.activeAlarms()).toHaveLength(1)
    ward.applyAlert(event({ transition: 'reset', actor: 'nurse-17', reason: 'probe', eventTsMs: 3_000 }))
    expect(ward.activeAlarms()).toHaveLength(0)
    expect(ward.recentAlarms()[0]?.actions).toEqual([
      { transition: 'reset', actor: 'nurse-17', reason: 'probe', atMs: 3_000 },
    ])
  })
  it('sorts by priority then time, and bounds devices and trend points', () => {
    const ward = createWard({ maxDevices: 2, trendPoints: 3, recentAlarms: 2 })
    ward.applyAlert(event({ alertId: 'a/x/1', priority: 'low', eventTsMs: 5 }))
    ward.applyAlert(event({ alertId: 'b/x/1', priority: 'high', eventTsMs: 1 }))
    ward.applyAlert(event({ alertId: 'c/x/1', priority: 'high', eventTsMs: 2 }))
    expect(ward.activeAlarms().map((a) => a.alertId)).toEqual(['c/x/1', 'b/x/1', 'a/x/1'])
    for (const id of ['d1', 'd2', 'd3'])
      for (let t = 0; t < 5; t++)
        ward.applyReading({
          deviceId: id,
          deviceType: 'bedside-monitor',
          site: 's',
          subject: 'p',
          rxMs: t,
          samples: [{ metric: 'spo2', value: 90 + t, tsMs: t, ucum: '%' }],
        })
    expect(ward.devices().map((d) => d.deviceId)).toEqual(['d2', 'd3'])
    expect(ward.device('d3')?.trend.spo2).toEqual([
      [2, 92],
      [3, 93],
      [4, 94],
    ])
    expect(ward.device('d3')?.latest.spo2?.value).toBe(94)
  })
})

describe('unit > web > throttle', () => {
  it('sends at most one update per key per interval, the latest one when it ends', () => {
    let now = 0
    const sent: Array<[string, number]> = []
    const t = createThrottle<number>(
      1_000,
      (k, v) => sent.push([k, v]),
      () => now,
    )
    t.offer('a', 1)
    t.offer('a', 2)
    t.offer('a', 3)
    t.offer('b', 1)
    now = 500
    t.flush()
    expect(sent).toEqual([
      ['a', 1],
      ['b', 1],
    ])
    now = 1_000
    t.flush()
    expect(sent).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 3],
    ])
  })
})

describe('unit > web > passwords, sessions, sign-in limits', () => {
  it('hashes with a per-user salt and verifies in constant time', () => {
    const a = hashPassword('secret-one')
    const b = hashPassword('secret-one')
    expect(a.salt).not.toBe(b.salt)
    expect(a.hash).not.toBe(b.hash)
    expect(verifyPassword(a, 'secret-one')).toBe(true)
    expect(verifyPassword(a, 'secret-two')).toBe(false)
  })
  it('expires sessions and locks a user out after too many failures', () => {
    let now = 0
    const sessions = createSessionStore(1_000, () => now)
    const s = sessions.create('nurse', 'clinician')
    expect(sessions.get(s.token)?.user).toBe('nurse')
    now = 1_000
    expect(sessions.get(s.token)).toBeUndefined()
    const limiter = createLoginLimiter(2, 500, () => now)
    limiter.failed('x')
    expect(limiter.locked('x')).toBe(false)
    limiter.failed('x')
    expect(limiter.locked('x')).toBe(true)
    now += 500
    expect(limiter.locked('x')).toBe(false)
  })
})

describe('unit > web > route parameters', () => {
  it('accepts only known actions and well-formed alert ids', () => {
    expect(actionParams.safeParse({ action: 'acknowledge' }).success).toBe(true)
    expect(actionParams.safeParse({ action: 'delete' }).success).toBe(false)
    expect(actionBody.safeParse({ alertId: 'bm-1/spo2-low/3' }).success).toBe(true)
    expect(actionBody.safeParse({ alertId: 'nonsense' }).success).toBe(false)
    expect(actionBody.safeParse({ alertId: 'bm-1/spo2-low/3', by: 'someone-else' }).success).toBe(false)
    expect(deviceParams.safeParse({ deviceId: '' }).success).toBe(false)
  })
})

describe('unit > web > Prometheus text and pipeline numbers', () => {
  it('parses samples and turns two scrapes into rates, lag and mean latency', () => {
    const first = parsePromText(
      '# HELP x\nrec_total{topic="t"} 10\nhop_latency_seconds_sum 1\nhop_latency_seconds_count 10\n',
    )
    const second = parsePromText(
      'rec_total{topic="t"} 30\nhop_latency_seconds_sum 3\nhop_latency_seconds_count 20\npulsewire_kafka_consumer_lag{group="g",topic="t",partition="0"} 4\npulsewire_kafka_consumer_lag{group="g",topic="t",partition="1"} 2\n',
    )
    const s = summarise({ atMs: 0, samples: first }, { atMs: 2_000, samples: second }, [])
    expect(s.rates).toEqual([{ name: 'rec_total', topic: 't', perSec: 10 }])
    expect(s.lag).toEqual([{ group: 'g', topic: 't', records: 6 }])
    expect(s.latency).toEqual([{ name: 'hop_latency_seconds', meanMs: 200, count: 10 }])
    expect(summarise(undefined, { atMs: 0, samples: first }, []).lag).toBeNull()
  })
})
