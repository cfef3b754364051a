import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { AlertCommand } from '../../../../../core/alerts/alert-command.js'
import type { AlertEvent } from '../../../../../core/alerts/alert-event.js'
import type { TelemetryEnvelope } from '../../../../../core/telemetry/envelope.js'
import { createAlertEngine, type DeviceInfo } from '../../../../../processors/alerting/engine/engine.js'
import { parseRuleSet } from '../../../../../processors/alerting/rules/rule-set.js'
import { FakeClock } from '../../../../helpers/fake-clock.js'

// A latching high desaturation level under a medium one, as in the default rules.
const RULES = parseRuleSet(
  parse(`version: 1
rules:
  - id: spo2-low
    type: threshold
    appliesTo: [bedside-monitor]
    metric: spo2
    direction: below
    levels:
      - { limit: 90, priority: medium, delayMs: 0 }
      - { limit: 85, priority: high, delayMs: 0, latching: true }
    clearLimit: 92`),
  'test',
)
const BM: DeviceInfo = { deviceId: 'bm-1', deviceType: 'bedside-monitor', subjectId: 'enc-1' }
const ID1 = 'bm-1/spo2-low/1'

function spo2(t: number, value: number): TelemetryEnvelope {
  return {
    deviceId: BM.deviceId,
    bootId: 'b',
    seq: t,
    deviceTsMs: t,
    deviceType: 'bedside-monitor',
    samples: [{ metric: 'spo2', value, ucum: '%', quality: 'valid', tsMs: 0, backfill: false }],
  }
}

let n = 0
function cmd(command: AlertCommand['command'], extra: Partial<AlertCommand> = {}): AlertCommand {
  n += 1
  return {
    v: 1,
    commandId: `c-${n}`,
    command,
    alertId: ID1,
    by: 'nurse-a',
    atMs: 1_000,
    reason: '',
    source: 'cli',
    ...extra,
  }
}

function setup(policy?: Parameters<typeof createAlertEngine>[0]['policy']) {
  const clock = new FakeClock(1_000_000)
  const engine = createAlertEngine({ ruleSet: RULES, clock, ...(policy && { policy }) })
  return { clock, engine }
}

const transitions = (events: readonly AlertEvent[]): string[] =>
  events.map((e) => `${e.alertId}:${e.transition}`)

describe('processors > alerting > engine > operator commands and escalation', () => {
  it('acknowledges with an audit trail, once; a repeated command id is a duplicate', () => {
    const { engine } = setup()
    expect(transitions(engine.onTelemetry(spo2(0, 84), BM, 0))).toEqual([`${ID1}:raised`])
    const ack = cmd('acknowledge', { reason: 'at the bedside', atMs: 1_500 })
    const result = engine.command(ack)
    expect(result).toMatchObject({
      ok: true,
      events: [
        {
          transition: 'acknowledged',
          actor: 'nurse-a',
          commandId: ack.commandId,
          reason: 'at the bedside',
          eventTsMs: 1_500,
          priority: 'high',
          message: 'Acknowledged by nurse-a: at the bedside',
        },
      ],
    })
    expect(engine.command(ack)).toMatchObject({ ok: false, reason: 'duplicate' })
    expect(engine.command(cmd('acknowledge'))).toMatchObject({ ok: false, reason: 'already_acknowledged' })
  })

  it('refuses unknown and closed alerts with a reason', () => {
    const { engine } = setup()
    expect(engine.command(cmd('acknowledge'))).toMatchObject({ ok: false, reason: 'unknown_alert' })
    engine.onTelemetry(spo2(0, 88), BM, 0) // medium, not latching
    for (const alertId of ['bm-1/nope/1', 'bm-1/spo2-low/2', 'other/spo2-low/1', 'garbage'])
      expect(engine.command(cmd('acknowledge', { alertId }))).toMatchObject({
        ok: false,
        reason: 'unknown_alert',
      })
    expect(transitions(engine.onTelemetry(spo2(1_000, 95), BM, 1_000))).toEqual([`${ID1}:cleared`])
    for (const kind of ['acknowledge', 'silence', 'reset'] as const)
      expect(engine.command(cmd(kind))).toMatchObject({ ok: false, reason: 'closed' })
  })

  it('resets a latched alarm only after its condition ended; the next crossing is a new episode', () => {
    const { engine } = setup()
    engine.onTelemetry(spo2(0, 84), BM, 0)
    expect(engine.command(cmd('reset'))).toMatchObject({
      ok: false,
      reason: 'condition_active',
      detail: expect.stringContaining('latched alarm is reset only after it ended') as string,
    })
    expect(transitions(engine.onTelemetry(spo2(1_000, 95), BM, 1_000))).toEqual([`${ID1}:updated`])
    // Latched: a new crossing without a reset stays in the same episode.
    expect(transitions(engine.onTelemetry(spo2(2_000, 84), BM, 2_000))).toEqual([`${ID1}:updated`])
    expect(engine.command(cmd('reset'))).toMatchObject({ ok: false, reason: 'condition_active' })
    engine.onTelemetry(spo2(3_000, 96), BM, 3_000)
    const reset = engine.command(cmd('reset', { reason: 'probe repositioned' }))
    expect(reset).toMatchObject({
      ok: true,
      events: [{ transition: 'reset', actor: 'nurse-a', reason: 'probe repositioned', latching: true }],
    })
    expect(engine.command(cmd('reset'))).toMatchObject({ ok: false, reason: 'closed' })
    expect(transitions(engine.onTelemetry(spo2(4_000, 84), BM, 4_000))).toEqual(['bm-1/spo2-low/2:raised'])
  })

  it('refuses to reset a non-latching alarm: it clears by itself', () => {
    const { engine } = setup()
    engine.onTelemetry(spo2(0, 88), BM, 0)
    expect(engine.command(cmd('reset'))).toMatchObject({
      ok: false,
      reason: 'condition_active',
      detail: expect.stringContaining('not latched') as string,
    })
  })

  it('pauses audio for a bounded time, and an escalation waits for the pause to end', async () => {
    const { clock, engine } = setup({
      escalateAfterMs: { high: 120_000 },
      silence: { defaultMs: 60_000, maxMs: 120_000 },
    })
    engine.onTelemetry(spo2(0, 84), BM, 0)
    const asked = engine.command(cmd('silence', { durationMs: 600_000 }))
    expect(asked).toMatchObject({
      ok: true,
      events: [
        {
          transition: 'silenced',
          silencedUntilMs: clock.now() + 120_000,
          message: 'Audio paused by nurse-a for 120 s',
        },
      ],
    })
    await clock.advance(100_000)
    const again = engine.command(cmd('silence')) // the default length, from now
    expect(again).toMatchObject({ ok: true, events: [{ silencedUntilMs: clock.now() + 60_000 }] })
    await clock.advance(50_000) // 150 s unacknowledged, still paused
    expect(engine.escalate()).toEqual([])
    await clock.advance(10_000)
    expect(engine.escalate()).toMatchObject([
      {
        transition: 'escalated',
        escalation: 1,
        priority: 'high',
        message: expect.stringContaining('Unacknowledged for 160 s') as string,
      },
    ])
    expect(engine.escalate()).toEqual([]) // once
  })

  it('escalates an unacknowledged high alarm on the clock, once; never after an acknowledgement', async () => {
    const { clock, engine } = setup()
    engine.onTelemetry(spo2(0, 84), BM, 0)
    await clock.advance(119_999)
    expect(engine.escalate()).toEqual([])
    expect(engine.takeDirty()).toEqual([BM.deviceId])
    await clock.advance(1)
    const [escalated, ...rest] = engine.escalate()
    expect(rest).toEqual([])
    expect(escalated).toMatchObject({
      alertId: ID1,
      transition: 'escalated',
      escalation: 1,
      eventTsMs: clock.now(),
      actor: '',
    })
    expect(engine.takeDirty()).toEqual([BM.deviceId])
    await clock.advance(600_000)
    expect(engine.escalate()).toEqual([])
    // An acknowledged one never escalates; medium has no escalation by default.
    const other = setup()
    other.engine.onTelemetry(spo2(0, 84), BM, 0)
    other.engine.command(cmd('acknowledge'))
    await other.clock.advance(600_000)
    expect(other.engine.escalate()).toEqual([])
    const medium = setup()
    medium.engine.onTelemetry(spo2(0, 88), BM, 0)
    await medium.clock.advance(600_000)
    expect(medium.engine.escalate()).toEqual([])
  })

  it('restarts the escalation timer when the priority rises, and drops the pause and acknowledgement', async () => {
    const { clock, engine } = setup({
      escalateAfterMs: { medium: 60_000, high: 120_000 },
      silence: { defaultMs: 120_000, maxMs: 120_000 },
    })
    engine.onTelemetry(spo2(0, 88), BM, 0)
    engine.command(cmd('acknowledge'))
    await clock.advance(100_000)
    const [rise] = engine.onTelemetry(spo2(1_000, 84), BM, 1_000)
    expect(rise).toMatchObject({ transition: 'escalated', priority: 'high' })
    expect(rise?.escalation).toBeUndefined() // a priority rise, not an escalation for want of an acknowledgement
    await clock.advance(119_000)
    expect(engine.escalate()).toEqual([])
    await clock.advance(1_000)
    expect(transitions(engine.escalate())).toEqual([`${ID1}:escalated`])
  })

  it('keeps the escalation timer, the pause and command ids across a restart from the snapshot', async () => {
    const { clock, engine } = setup()
    engine.onTelemetry(spo2(0, 84), BM, 0)
    const silence = cmd('silence', { durationMs: 30_000 })
    engine.command(silence)
    await clock.advance(60_000)
    const snapshot = engine.snapshot(BM.deviceId) as Buffer
    // The process is down for 70 s: past the deadline when it comes back.
    const later = new FakeClock(clock.now() + 70_000)
    const restored = createAlertEngine({ ruleSet: RULES, clock: later })
    restored.restore(BM.deviceId, snapshot)
    expect(restored.command(silence)).toMatchObject({ ok: false, reason: 'duplicate' })
    expect(restored.escalate()).toMatchObject([{ alertId: ID1, transition: 'escalated', escalation: 1 }])
    // Its escalation is in the next snapshot: a second restart does not escalate again.
    const again = createAlertEngine({ ruleSet: RULES, clock: later })
    again.restore(BM.deviceId, restored.snapshot(BM.deviceId) as Buffer)
    expect(again.escalate()).toEqual([])
  })

  it('loads a snapshot written before commands existed; its unacknowledged alarm escalates from the restore', async () => {
    const { engine } = setup()
    engine.onTelemetry(spo2(0, 84), BM, 0)
    const raw = JSON.parse((engine.snapshot(BM.deviceId) as Buffer).toString('utf8')) as {
      rules: Record<string, { open: Record<string, unknown> }>
    }
    const open = raw.rules['spo2-low']!.open
    for (const key of ['unackedSinceMs', 'silencedUntilMs', 'escalation', 'commandIds']) delete open[key]
    expect(Object.keys(open).sort()).toEqual(
      ['acked', 'conditionActive', 'episode', 'latching', 'limit', 'metric', 'priority', 'value'].sort(),
    )
    const clock = new FakeClock(5_000_000)
    const restored = createAlertEngine({ ruleSet: RULES, clock })
    restored.restore(BM.deviceId, Buffer.from(JSON.stringify(raw)))
    expect(restored.escalate()).toEqual([])
    await clock.advance(120_000)
    expect(transitions(restored.escalate())).toEqual([`${ID1}:escalated`])
  })

  it('keeps the old acknowledge(): after a latched condition ended it is the reset', () => {
    const { engine } = setup()
    engine.onTelemetry(spo2(0, 84), BM, 0)
    engine.onTelemetry(spo2(1_000, 95), BM, 1_000)
    expect(transitions(engine.acknowledge(ID1, 'nurse-a', 2_000))).toEqual([`${ID1}:reset`])
  })
})
