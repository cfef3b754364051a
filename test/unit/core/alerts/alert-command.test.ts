import { describe, expect, it } from 'vitest'
import {
  alertCommandRecord,
  commandFromMqtt,
  decodeAlertCommand,
  type AlertCommand,
} from '../../../../core/alerts/alert-command.js'
import { parseAlertId } from '../../../../core/alerts/alert-event.js'

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

const COMMAND: AlertCommand = {
  v: 1,
  commandId: 'c-1',
  command: 'silence',
  alertId: 'bm-1/spo2-low/3',
  by: 'nurse-a',
  atMs: 1_000,
  reason: 'turning the patient',
  durationMs: 60_000,
  source: 'cli',
}

describe('core > alerts > alert-command', () => {
  it('parses alert ids; device ids may contain slashes, episodes are whole numbers from 1', () => {
    expect(parseAlertId('bm-1/spo2-low/3')).toEqual({ deviceId: 'bm-1', ruleId: 'spo2-low', episode: 3 })
    expect(parseAlertId('ward-3/bm-1/spo2-low/1')?.deviceId).toBe('ward-3/bm-1')
    for (const bad of ['', 'x', 'bm-1/3', '/spo2-low/1', 'bm-1//1', 'bm-1/spo2-low/0', 'bm-1/spo2-low/x'])
      expect(parseAlertId(bad), bad).toBeUndefined()
  })

  it('round-trips a command record keyed by the alert’s device', () => {
    const record = alertCommandRecord(COMMAND)
    expect(record).toMatchObject({
      topic: 'alerts.commands.v1',
      key: 'bm-1',
      headers: { 'pw-alert-id': 'bm-1/spo2-low/3', 'pw-command': 'silence' },
    })
    expect(decodeAlertCommand(record.value)).toEqual({ ok: true, value: COMMAND })
  })

  it('returns bad records as values: not JSON, unknown keys, unknown commands, bad ids, endless pauses', () => {
    const bad = [
      Buffer.from('{nope'),
      json({ ...COMMAND, extra: 1 }),
      json({ ...COMMAND, command: 'shelve' }),
      json({ ...COMMAND, alertId: 'bm-1' }),
      json({ ...COMMAND, durationMs: 16 * 60_000 }),
      json({ ...COMMAND, by: '' }),
      json(null),
    ]
    for (const bytes of bad) expect(decodeAlertCommand(bytes).ok, bytes.toString()).toBe(false)
  })

  it('takes who and when from the gateway, never from an MQTT payload', () => {
    const result = commandFromMqtt(
      json({ command: 'acknowledge', alertId: 'bm-1/spo2-low/3', by: 'chief-of-medicine', atMs: 1 }),
      'app-ward-3',
      42,
    )
    expect(result.ok).toBe(false) // atMs is not the app's to set
    const ok = commandFromMqtt(
      json({ command: 'acknowledge', alertId: 'bm-1/spo2-low/3', by: 'chief-of-medicine', reason: 'seen' }),
      'app-ward-3',
      42,
    )
    expect(ok).toMatchObject({
      ok: true,
      value: { by: 'app-ward-3', atMs: 42, source: 'mqtt', reason: 'seen', command: 'acknowledge' },
    })
    expect(ok.ok && ok.value.commandId.length).toBeGreaterThan(8)
  })
})
