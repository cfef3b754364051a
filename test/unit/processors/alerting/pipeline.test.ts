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
  encodeStoredState,
  offsetKey,
  type StoredState,
} from '../../../../processors/alerting/state-store.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { silentLogger } from '../../../helpers/services.js'
import { consumedRecord, envelope, sample, telemetryRecord } from '../../../helpers/telemetry-fixtures.js'

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
        levels: [{ limit: 90, priority: 'medium' }],
        clearLimit: 92,
      },
    ],
  },
  'test',
)

function harness(states = new Map<string, StoredState>()) {
  const registry = new Registry()
  const metrics = createAlertingMetrics(registry)
  const events: AlertEvent[] = []
  const pipeline = createAlertPipeline({
    createEngine: () => createAlertEngine({ ruleSet, clock: new FakeClock() }),
    commit: (records: OutgoingRecord[]) => {
      for (const r of records) {
        if (r.topic === CHANNELS.alertState) states.set(r.key, decodeStoredState(r.value)!)
        const decoded = r.topic === CHANNELS.alertEvents ? decodeAlertEvent(r.value) : undefined
        if (decoded?.ok) events.push(decoded.value)
      }
      return Promise.resolve()
    },
    dedupe: { windowSeqs: 256, maxDevices: 100 },
    time: {
      groupId: 'test',
      gapMs: 5_000,
      stallMs: 10_000,
      resumeGraceMs: 10_000,
      monitoringPriority: 'high',
    },
    metrics,
    clock: new FakeClock(),
    logger: silentLogger,
  })
  pipeline.reset(states, [{ topic: CHANNELS.vitals, partition: 0 }])
  const count = async (outcome: string): Promise<number> => {
    const metric = await registry.getSingleMetric('pulsewire_alerting_records_total')?.get()
    return (metric?.values ?? []).filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0)
  }
  return { pipeline, events, states, count }
}

const T0 = Date.UTC(2026, 0, 1, 8)
const reading = (seq: number, spo2: number, place: { partition?: number; offset: number }): KafkaRecord =>
  consumedRecord(
    telemetryRecord(envelope('bm-1', seq, T0 + seq * 1000, [sample('spo2', spo2)]), {
      type: 'bedside-monitor',
    }),
    place,
  )

describe('processors > alerting > pipeline: duplicates and replay', () => {
  it('never evaluates a resent copy, also after a restart from the stored state', async () => {
    const first = harness()
    const originals = [96, 86, 95].map((v, i) => reading(i + 1, v, { offset: i }))
    await first.pipeline.handle(originals)
    expect(first.events.map((e) => e.transition)).toEqual(['raised', 'cleared'])

    // A new instance with the stored state; the device resends all three (new offsets).
    const second = harness(first.states)
    const copies = [96, 86, 95].map((v, i) => reading(i + 1, v, { offset: 10 + i }))
    await second.pipeline.handle(copies)
    expect(second.events).toEqual([])
    expect(await second.count('duplicate')).toBe(3)
    await second.pipeline.handle([reading(4, 85, { offset: 13 })])
    expect(second.events.map((e) => `${e.transition}:${e.episode}`)).toEqual(['raised:2'])
  })

  it('skips replayed records per partition: a device on a new partition is evaluated from offset 0', async () => {
    const { pipeline, events, states, count } = harness()
    await pipeline.handle([reading(1, 96, { partition: 0, offset: 500 })])
    expect(states.get('bm-1')?.offsets).toEqual({ [offsetKey(CHANNELS.vitals, 0)]: 500 })
    // Same device, now keyed to partition 5 (more partitions, another partitioner): low offsets there are new.
    await pipeline.handle([reading(2, 86, { partition: 5, offset: 3 })])
    expect(events.map((e) => e.transition)).toEqual(['raised'])
    expect(await count('skipped_replayed')).toBe(0)
    // The batch in progress replayed after a crash is still skipped, per partition.
    await pipeline.handle([reading(2, 86, { partition: 5, offset: 3 })])
    expect(await count('skipped_replayed')).toBe(1)
  })

  it('restores from a snapshot written before per-partition offsets (per-topic, with its partition)', async () => {
    const engineBytes = (() => {
      const engine = createAlertEngine({ ruleSet, clock: new FakeClock() })
      engine.onTelemetry(
        envelope('bm-1', 1, T0, [sample('spo2', 96)]),
        { deviceId: 'bm-1', deviceType: 'bedside-monitor' },
        T0,
      )
      return engine.snapshot('bm-1')!
    })()
    const legacy = Buffer.from(
      JSON.stringify({
        v: 1,
        offsets: { [CHANNELS.vitals]: 700 },
        partitions: { [CHANNELS.vitals]: 0 },
        engine: engineBytes.toString('base64'),
      }),
    )
    const stored = decodeStoredState(legacy)!
    const { pipeline, count } = harness(new Map([['bm-1', stored]]))
    await pipeline.handle([reading(2, 96, { partition: 0, offset: 700 })])
    expect(await count('skipped_replayed')).toBe(1)
    await pipeline.handle([reading(3, 96, { partition: 2, offset: 10 })])
    expect(await count('evaluated')).toBe(1)
    expect(encodeStoredState(stored).length).toBeGreaterThan(0)
  })
})
