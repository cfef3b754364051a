import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../../core/alerts/alert-event.js'
import type { KafkaRecord, OutgoingRecord } from '../../../../core/kafka/records.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { createAlertEngine } from '../../../../processors/alerting/engine/engine.js'
import { createAlertingMetrics } from '../../../../processors/alerting/metrics.js'
import { createAlertPipeline } from '../../../../processors/alerting/pipeline.js'
import { parseRuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import {
  decodeStoredState,
  offsetKey,
  type StoredState,
} from '../../../../processors/alerting/state-store.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { silentLogger } from '../../../helpers/services.js'
import { consumedRecord, envelope, sample, telemetryRecord } from '../../../helpers/telemetry-fixtures.js'

// A condition delay (pending state that is never a transition until it ends) and communication
// loss judged on the partition clock (advance): both must come out the same after a replay.
const ruleSet = parseRuleSet(
  {
    version: 1,
    rules: [
      {
        id: 'spo2-low',
        type: 'threshold',
        appliesTo: ['bedside-monitor'],
        metric: 'spo2',
        direction: 'below',
        levels: [{ limit: 90, priority: 'medium', delayMs: 3_000 }],
        clearLimit: 92,
      },
      { id: 'comm-loss', type: 'missing-data', appliesTo: ['bedside-monitor'], timeoutMs: 4_000 },
    ],
  },
  'test',
)
const T0 = Date.UTC(2026, 0, 1, 8)
const VITALS0 = offsetKey(CHANNELS.vitals, 0)

/** Kafka as the pipeline sees it: the latest state per key, the committed offset, the emitted events. */
interface Broker {
  states: Map<string, StoredState>
  committed: Map<string, number>
  events: AlertEvent[]
  stateRecords: number
}
const newBroker = (): Broker => ({ states: new Map(), committed: new Map(), events: [], stateRecords: 0 })

function member(broker: Broker, maxDirtyMs: number, clock = new FakeClock(T0)) {
  const registry = new Registry()
  const pipeline = createAlertPipeline({
    createEngine: () => createAlertEngine({ ruleSet, clock: new FakeClock() }),
    commit: (records: OutgoingRecord[], offsets) => {
      for (const r of records) {
        if (r.topic === CHANNELS.alertState) {
          broker.states.set(r.key, decodeStoredState(r.value)!)
          if (!r.key.startsWith('@')) broker.stateRecords++
        }
        const decoded = r.topic === CHANNELS.alertEvents ? decodeAlertEvent(r.value) : undefined
        if (decoded?.ok) broker.events.push(decoded.value)
      }
      for (const o of offsets) broker.committed.set(offsetKey(o.topic, o.partition), o.offset)
      return Promise.resolve()
    },
    dedupe: { windowSeqs: 256, maxDevices: 100 },
    time: {
      groupId: 'test',
      gapMs: 5_000,
      stallMs: 60_000,
      resumeGraceMs: 10_000,
      monitoringPriority: 'high',
    },
    stateWrites: { maxDirtyMs },
    metrics: createAlertingMetrics(registry),
    clock,
    logger: silentLogger,
  })
  // A copy: what the pipeline keeps in memory is not what Kafka has.
  pipeline.reset(new Map(broker.states), [{ topic: CHANNELS.vitals, partition: 0 }])
  const count = async (outcome: string): Promise<number> => {
    const metric = await registry.getSingleMetric('pulsewire_alerting_records_total')?.get()
    return (metric?.values ?? []).filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0)
  }
  return { pipeline, clock, count }
}

/** 4 monitors at 1 Hz for 40 s: dips below 90 % (phase-shifted), and bm-3 silent from 12 s to 22 s. */
function stream(): KafkaRecord[] {
  const out: KafkaRecord[] = []
  for (let t = 0; t < 40; t++) {
    for (let d = 0; d < 4; d++) {
      if (d === 3 && t >= 12 && t < 22) continue
      const spo2 = d < 3 && (t + d * 5) % 16 < 6 ? 86 : 96
      const ts = T0 + t * 1_000 + d * 10
      const record = telemetryRecord(envelope(`bm-${d}`, t + 1, ts, [sample('spo2', spo2)]), {
        type: 'bedside-monitor',
        rxMs: ts + 5,
      })
      out.push(consumedRecord(record, { partition: 0, offset: out.length }))
    }
  }
  return out
}

async function feed(m: ReturnType<typeof member>, records: KafkaRecord[], size: number): Promise<void> {
  for (let i = 0; i < records.length; i += size) {
    await m.pipeline.handle(records.slice(i, i + size))
    await m.clock.advance(1_000)
  }
}

const keyOf = (e: AlertEvent): string => `${e.alertId}|${e.transition}|${e.eventTsMs}`

describe('processors > alerting > pipeline: state written on transitions and every maxDirtyMs', () => {
  it('writes a transition’s state with it, holds the commit at the first unwritten record, writes the rest when due', async () => {
    const broker = newBroker()
    const m = member(broker, 5_000)
    const records = stream()
    await m.pipeline.handle(records.slice(0, 4)) // t=0: bm-0 starts a dip (pending, its delay runs)
    expect(broker.events).toEqual([])
    expect(broker.stateRecords).toBe(0) // nothing to emit: nothing written…
    expect(broker.committed.get(VITALS0)).toBe(0) // …and the commit stays at the batch's start
    await m.clock.advance(1_000)
    await feed(m, records.slice(4, 16), 4) // t=1..3: bm-0's delay ends: raised, written with it
    const raised = broker.events.find((e) => e.transition === 'raised')
    expect(raised?.deviceId).toBe('bm-0')
    expect(broker.states.get('bm-0')?.offsets[VITALS0]).toBeGreaterThanOrEqual(12)
    expect(broker.states.has('bm-2')).toBe(false) // changed, no transition, not yet due
    expect(broker.committed.get(VITALS0)).toBe(0)
    await feed(m, records.slice(16, 24), 4) // t=4, t=5: 5 s after their first change, the others are due
    expect([...broker.states.keys()].filter((k) => k.startsWith('bm-')).sort()).toEqual([
      'bm-0',
      'bm-1',
      'bm-2',
      'bm-3',
    ])
    expect(broker.committed.get(VITALS0)).toBeGreaterThan(0)
  })

  it('emits exactly the uninterrupted transitions across a crash with devices dirty mid-delay', async () => {
    const records = stream()
    const reference = newBroker()
    await feed(member(reference, 0), records, 4)
    expect(reference.events.length).toBeGreaterThan(8)
    expect(reference.events.some((e) => e.ruleId === 'comm-loss')).toBe(true)

    for (const crashAfter of [23, 47, 62, 90, 101]) {
      const broker = newBroker()
      const first = member(broker, 5_000)
      await feed(first, records.slice(0, crashAfter + 1), 4)
      const committed = broker.committed.get(VITALS0) ?? 0
      // The kill: what was not committed is gone. The new member reads from the committed offset.
      expect(committed).toBeLessThan(crashAfter + 1)
      const second = member(broker, 5_000, new FakeClock(first.clock.now() + 20_000))
      await feed(second, records.slice(committed), 7)
      const got = broker.events.map(keyOf)
      expect(new Set(got).size, `crash after offset ${crashAfter}`).toBe(got.length)
      expect([...got].sort(), `crash after offset ${crashAfter}`).toEqual(reference.events.map(keyOf).sort())
    }
  })

  it('restores each partition clock as it was at the committed offset (no silence the replay did not have)', async () => {
    const records = stream()
    const reference = newBroker()
    await feed(member(reference, 0), records, 4)
    // Replayed one record at a time: a clock restored ahead of the replayed records would judge
    // a device silent between its replayed records.
    for (let crashAfter = 20; crashAfter < records.length; crashAfter += 6) {
      const broker = newBroker()
      const first = member(broker, 5_000)
      await feed(first, records.slice(0, crashAfter + 1), 4)
      const second = member(broker, 5_000, new FakeClock(first.clock.now() + 20_000))
      await feed(second, records.slice(broker.committed.get(VITALS0) ?? 0), 1)
      expect(broker.events.map(keyOf).sort(), `crash after offset ${crashAfter}`).toEqual(
        reference.events.map(keyOf).sort(),
      )
    }
  })

  it('skips, on the replay, what the written states already reflect', async () => {
    const records = stream()
    const broker = newBroker()
    const first = member(broker, 5_000)
    await feed(first, records.slice(0, 62), 4)
    const committed = broker.committed.get(VITALS0) ?? 0
    const second = member(broker, 5_000)
    await feed(second, records.slice(committed), 7)
    expect(await second.count('skipped_replayed')).toBeGreaterThan(0)
    expect((await second.count('skipped_replayed')) + (await second.count('evaluated'))).toBe(
      records.length - committed,
    )
  })

  it('writes far fewer state records than one per changed device per batch', async () => {
    const records = stream()
    const eager = newBroker()
    await feed(member(eager, 0), records, 4)
    const lazy = newBroker()
    await feed(member(lazy, 5_000), records, 4)
    expect(lazy.events.map(keyOf)).toEqual(eager.events.map(keyOf))
    expect(lazy.stateRecords).toBeLessThan(eager.stateRecords / 2)
  })

  it('a graceful stop writes every dirty device and commits to where it read', async () => {
    const records = stream()
    const broker = newBroker()
    const m = member(broker, 5_000)
    await feed(m, records.slice(0, 10), 4)
    expect(broker.committed.get(VITALS0)).toBe(0)
    await m.pipeline.flush()
    expect(broker.committed.get(VITALS0)).toBe(10)
    const next = member(broker, 5_000)
    await feed(next, records.slice(10, 20), 4)
    expect(await next.count('skipped_replayed')).toBe(0)
  })
})
