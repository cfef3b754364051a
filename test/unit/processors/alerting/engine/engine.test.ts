import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { AlertEvent } from '../../../../../core/alerts/alert-event.js'
import type { TelemetryEnvelope } from '../../../../../core/telemetry/envelope.js'
import {
  createAlertEngine,
  SnapshotError,
  type DeviceInfo,
} from '../../../../../processors/alerting/engine/engine.js'
import { parseRuleSet, type RuleSet } from '../../../../../processors/alerting/rules/rule-set.js'
import { FakeClock } from '../../../../helpers/fake-clock.js'
import { createStepRunner, loadRuleFixtures, newEngine, runFixture } from '../fixture-runner.js'

const stable = ({ emittedTsMs: _, ...rest }: AlertEvent): Omit<AlertEvent, 'emittedTsMs'> => rest

const BM: DeviceInfo = { deviceId: 'ward-3/bm-1', deviceType: 'bedside-monitor', subjectId: 'enc-1' }

function rules(yaml: string): RuleSet {
  return parseRuleSet(parse(yaml), 'test')
}

const SPO2 = `
  - id: spo2-low
    type: threshold
    appliesTo: [bedside-monitor]
    metric: spo2
    direction: below
    levels: [{ limit: 90, priority: medium }]`
const HR_OLD = `
  - id: hr-old
    type: threshold
    appliesTo: [bedside-monitor]
    metric: heart_rate
    direction: above
    levels: [{ limit: 120, priority: medium }]`
const HR_NEW = `
  - id: hr-new
    type: threshold
    appliesTo: [bedside-monitor]
    metric: heart_rate
    direction: above
    levels: [{ limit: 130, priority: high }]`

function message(t: number, samples: Partial<Record<'spo2' | 'heart_rate', number>>): TelemetryEnvelope {
  return {
    deviceId: BM.deviceId,
    bootId: 'b',
    seq: t,
    deviceTsMs: t,
    deviceType: 'bedside-monitor',
    samples: Object.entries(samples).map(([metric, value]) => ({
      metric: metric as 'spo2' | 'heart_rate',
      value,
      ucum: '',
      quality: 'valid' as const,
      tsMs: 0,
      backfill: false,
    })),
  }
}

describe('processors > alerting > engine', () => {
  describe('snapshot and restore', () => {
    for (const fixture of loadRuleFixtures()) {
      it(`${fixture.name}: a restart from the snapshot at any step changes no transition`, () => {
        const baseline = runFixture(fixture).map(stable)
        const stride = Math.max(1, Math.ceil(fixture.steps.length / 120))
        for (let cut = 0; cut <= fixture.steps.length; cut += stride) {
          const runner = createStepRunner()
          const first = newEngine(fixture.ruleSet)
          const before = fixture.steps.slice(0, cut).flatMap((step) => runner.run(first, step))
          const second = newEngine(fixture.ruleSet)
          for (const id of runner.devices.keys()) {
            const snapshot = first.snapshot(id)
            if (snapshot) second.restore(id, snapshot)
          }
          const after = fixture.steps.slice(cut).flatMap((step) => runner.run(second, step))
          expect([...before, ...after].map(stable), `restart after step ${cut}`).toEqual(baseline)
        }
      })
    }

    it('replaying the records after the last snapshot yields the same alert ids (sinks dedupe)', () => {
      const ruleSet = rules(`version: 1\nrules:${SPO2}`)
      const live = createAlertEngine({ ruleSet, clock: new FakeClock() })
      live.onTelemetry(message(0, { spo2: 95 }), BM, 0)
      const snapshot = live.snapshot(BM.deviceId) as Buffer
      const tail = [message(1000, { spo2: 85 }), message(2000, { spo2: 95 }), message(3000, { spo2: 80 })]
      const emitted = tail.flatMap((m) => live.onTelemetry(m, BM, m.deviceTsMs))
      const restarted = createAlertEngine({ ruleSet, clock: new FakeClock() })
      restarted.restore(BM.deviceId, snapshot)
      const replayed = tail.flatMap((m) => restarted.onTelemetry(m, BM, m.deviceTsMs))
      expect(replayed.map(stable)).toEqual(emitted.map(stable))
      expect(emitted.map((e) => `${e.alertId} ${e.transition}`)).toEqual([
        'ward-3/bm-1/spo2-low/1 raised',
        'ward-3/bm-1/spo2-low/1 cleared',
        'ward-3/bm-1/spo2-low/2 raised',
      ])
    })

    it('ignores rules a snapshot knows but the rule set does not, and keeps their episode numbers', () => {
      const withOld = rules(`version: 1\nrules:${HR_OLD}${SPO2}`)
      const a = createAlertEngine({ ruleSet: withOld, clock: new FakeClock() })
      expect(a.onTelemetry(message(0, { heart_rate: 125, spo2: 85 }), BM, 0).map((e) => e.alertId)).toEqual([
        'ward-3/bm-1/hr-old/1',
        'ward-3/bm-1/spo2-low/1',
      ])

      const b = createAlertEngine({
        ruleSet: rules(`version: 1\nrules:${SPO2}${HR_NEW}`),
        clock: new FakeClock(),
      })
      b.restore(BM.deviceId, a.snapshot(BM.deviceId) as Buffer)
      const events = b.onTelemetry(message(1000, { heart_rate: 135, spo2: 95 }), BM, 1000)
      expect(events.map((e) => `${e.alertId} ${e.transition} ${e.subjectId}`)).toEqual([
        'ward-3/bm-1/hr-new/1 raised enc-1',
        'ward-3/bm-1/spo2-low/1 cleared enc-1',
      ])

      // The old rule comes back: its open episode was dropped, but its ids are never reused.
      const c = createAlertEngine({ ruleSet: withOld, clock: new FakeClock() })
      c.restore(BM.deviceId, b.snapshot(BM.deviceId) as Buffer)
      expect(c.onTelemetry(message(2000, { heart_rate: 125 }), BM, 2000).map((e) => e.alertId)).toEqual([
        'ward-3/bm-1/hr-old/2',
      ])
    })

    it('re-initialises a rule state that no longer fits the rule (changed config) without losing its episodes', () => {
      const a = createAlertEngine({ ruleSet: rules(`version: 1\nrules:${SPO2}`), clock: new FakeClock() })
      a.onTelemetry(message(0, { spo2: 85 }), BM, 0)
      a.onTelemetry(message(1000, { spo2: 95 }), BM, 1000)
      const twoLevels = SPO2.replace(
        'levels: [{ limit: 90, priority: medium }]',
        'levels: [{ limit: 90, priority: medium }, { limit: 85, priority: high }]',
      )
      const b = createAlertEngine({
        ruleSet: rules(`version: 1\nrules:${twoLevels}`),
        clock: new FakeClock(),
      })
      b.restore(BM.deviceId, a.snapshot(BM.deviceId) as Buffer)
      expect(b.onTelemetry(message(2000, { spo2: 80 }), BM, 2000).map((e) => e.alertId)).toEqual([
        'ward-3/bm-1/spo2-low/2',
      ])
    })

    it('throws a SnapshotError for bytes that are no snapshot, and has none for unknown devices', () => {
      const engine = createAlertEngine({
        ruleSet: rules(`version: 1\nrules:${SPO2}`),
        clock: new FakeClock(),
      })
      expect(() => engine.restore('x', Buffer.from('{not json'))).toThrow(SnapshotError)
      expect(() => engine.restore('x', Buffer.from('{"v":99}'))).toThrow(/not a v1 snapshot/)
      expect(engine.snapshot('x')).toBeUndefined()
    })
  })

  describe('acknowledge, dirty tracking and time', () => {
    const spo2Rules = rules(`version: 1\nrules:${SPO2}
  - id: comm-loss
    type: missing-data
    appliesTo: [bedside-monitor]`)

    it('reports devices whose state changed, once', () => {
      const engine = createAlertEngine({ ruleSet: spo2Rules, clock: new FakeClock() })
      expect(engine.takeDirty()).toEqual([])
      engine.onTelemetry(message(0, { spo2: 85 }), BM, 0)
      expect(engine.takeDirty()).toEqual([BM.deviceId])
      expect(engine.takeDirty()).toEqual([])
      expect(engine.advance(2000)).toEqual([])
      expect(engine.takeDirty()).toEqual([])
      expect(engine.advance(5000).map((e) => e.transition)).toEqual(['raised'])
      expect(engine.takeDirty()).toEqual([BM.deviceId])
      engine.acknowledge(`${BM.deviceId}/spo2-low/1`, 'nurse', 6000)
      expect(engine.takeDirty()).toEqual([BM.deviceId])
      const restored = createAlertEngine({ ruleSet: spo2Rules, clock: new FakeClock() })
      restored.restore(BM.deviceId, engine.snapshot(BM.deviceId) as Buffer)
      expect(restored.takeDirty()).toEqual([])
    })

    it('acknowledges an open alert once; unknown, closed or other episodes give nothing', () => {
      const clock = new FakeClock(1_700_000_000_000)
      const engine = createAlertEngine({ ruleSet: spo2Rules, clock })
      const [raised] = engine.onTelemetry(message(0, { spo2: 85 }), BM, 0)
      expect(raised).toMatchObject({ alertId: 'ward-3/bm-1/spo2-low/1', emittedTsMs: 1_700_000_000_000 })
      for (const id of ['nope', 'ward-3/bm-1/nope/1', 'ward-3/bm-1/spo2-low/2', 'other/spo2-low/1']) {
        expect(engine.acknowledge(id, 'nurse', 500)).toEqual([])
      }
      expect(engine.acknowledge('ward-3/bm-1/spo2-low/1', 'nurse', 500)).toMatchObject([
        {
          transition: 'acknowledged',
          actor: 'nurse',
          eventTsMs: 500,
          subjectId: 'enc-1',
          priority: 'medium',
        },
      ])
      expect(engine.acknowledge('ward-3/bm-1/spo2-low/1', 'nurse', 600)).toEqual([])
      engine.onTelemetry(message(1000, { spo2: 95 }), BM, 1000)
      expect(engine.acknowledge('ward-3/bm-1/spo2-low/1', 'nurse', 1100)).toEqual([])
    })

    it('fills every field of an alert event', () => {
      const engine = createAlertEngine({ ruleSet: spo2Rules, clock: new FakeClock(42) })
      expect(engine.onTelemetry(message(7000, { spo2: 86 }), BM, 7100)).toEqual([
        {
          alertId: 'ward-3/bm-1/spo2-low/1',
          deviceId: 'ward-3/bm-1',
          subjectId: 'enc-1',
          ruleId: 'spo2-low',
          ruleType: 'threshold',
          kind: 'physiological',
          priority: 'medium',
          transition: 'raised',
          metric: 'spo2',
          value: 86,
          limit: 90,
          eventTsMs: 7000,
          emittedTsMs: 42,
          latching: false,
          episode: 1,
          message: 'SpO2 86 % < 90 %',
          actor: '',
          late: false,
        },
      ])
    })

    it('keeps the known device type when a record does not say (a lifecycle event without headers)', () => {
      const engine = createAlertEngine({ ruleSet: spo2Rules, clock: new FakeClock() })
      engine.onTelemetry(message(0, { spo2: 97 }), BM, 0)
      const untyped: DeviceInfo = { deviceId: BM.deviceId, deviceType: 'unspecified' }
      expect(engine.onLifecycle(untyped, 'disconnected', 500)).toMatchObject([
        { alertId: 'ward-3/bm-1/comm-loss/1', transition: 'raised', kind: 'technical', subjectId: 'enc-1' },
      ])
    })

    it('only evaluates rules that apply to the device type', () => {
      const engine = createAlertEngine({ ruleSet: spo2Rules, clock: new FakeClock() })
      const wearable: DeviceInfo = { deviceId: 'wr-1', deviceType: 'wearable' }
      expect(engine.onTelemetry({ ...message(0, { spo2: 70 }), deviceId: 'wr-1' }, wearable, 0)).toEqual([])
      expect(engine.advance(1_000_000)).toEqual([])
    })
  })
})
