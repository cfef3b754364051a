import { describe, expect, it } from 'vitest'
import {
  alertId,
  decodeAlertEvent,
  encodeAlertEvent,
  type AlertEvent,
} from '../../../../core/alerts/alert-event.js'

const event: AlertEvent = {
  alertId: alertId('bm-0001', 'spo2-low', 3),
  deviceId: 'bm-0001',
  subjectId: 'enc-7f3c',
  ruleId: 'spo2-low',
  ruleType: 'threshold',
  kind: 'physiological',
  priority: 'medium',
  transition: 'raised',
  metric: 'spo2',
  value: 86,
  limit: 90,
  eventTsMs: 1_764_054_000_000,
  emittedTsMs: 1_764_054_000_250,
  latching: false,
  episode: 3,
  message: 'SpO2 86 % < 90 % for 15 s',
  actor: '',
  late: false,
}

describe('core > alerts > alert event', () => {
  it('builds deterministic ids from device, rule and episode', () => {
    expect(event.alertId).toBe('bm-0001/spo2-low/3')
  })

  it('round-trips through the wire format', () => {
    expect(decodeAlertEvent(encodeAlertEvent(event))).toEqual({ ok: true, value: event })
    const technical = { ...event, kind: 'technical', metric: undefined, transition: 'cleared' } as const
    expect(decodeAlertEvent(encodeAlertEvent(technical))).toEqual({ ok: true, value: technical })
  })

  it('round-trips the audit trail of operator transitions and escalations', () => {
    const silenced: AlertEvent = {
      ...event,
      transition: 'silenced',
      actor: 'nurse-17',
      commandId: '5b0f4c1e-8f7e-4b8e-9c1a-0d2f3e4a5b6c',
      reason: 'turning the patient',
      silencedUntilMs: 1_764_054_120_000,
    }
    expect(decodeAlertEvent(encodeAlertEvent(silenced))).toEqual({ ok: true, value: silenced })
    const escalated: AlertEvent = { ...event, transition: 'escalated', priority: 'high', escalation: 1 }
    expect(decodeAlertEvent(encodeAlertEvent(escalated))).toEqual({ ok: true, value: escalated })
  })

  it('reports bad bytes as an error value', () => {
    expect(decodeAlertEvent(Buffer.from([0x0a, 0xff, 0xff])).ok).toBe(false)
  })
})
