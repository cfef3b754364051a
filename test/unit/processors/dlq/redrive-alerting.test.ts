import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../../core/alerts/alert-event.js'
import type { OutgoingRecord } from '../../../../core/kafka/records.js'
import { encodeTelemetry } from '../../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { gatewayConfigSchema } from '../../../../gateway/config.js'
import { dlqRecord } from '../../../../gateway/forward.js'
import { createAlertEngine } from '../../../../processors/alerting/engine/engine.js'
import { createAlertingMetrics } from '../../../../processors/alerting/metrics.js'
import { createAlertPipeline } from '../../../../processors/alerting/pipeline.js'
import { parseRuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import { judgeRedrive } from '../../../../processors/dlq/judge.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { silentLogger } from '../../../helpers/services.js'
import { consumedRecord, envelope, sample, telemetryRecord } from '../../../helpers/telemetry-fixtures.js'

// A re-driven reading keeps its original receive time and bytes (ADR 0020), so alerting's unchanged
// pipeline sees a reading older than the device's newest: evaluated, flagged late, never clearing.

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

const T0 = Date.UTC(2026, 0, 1, 8)
const device = { deviceId: 'bm-9', type: 'bedside-monitor' as const }
const directory = { lookup: () => ({ type: 'bedside-monitor' as const }) }
const limits = gatewayConfigSchema.parse({}).limits
const message = (seq: number, spo2: number) => envelope('bm-9', seq, T0 + seq * 1000, [sample('spo2', spo2)])
const live = (seq: number, spo2: number, offset: number) =>
  consumedRecord(telemetryRecord(message(seq, spo2), { type: 'bedside-monitor', rxMs: T0 + seq * 1000 }), {
    offset,
  })

function alerting() {
  const events: AlertEvent[] = []
  const pipeline = createAlertPipeline({
    createEngine: () => createAlertEngine({ ruleSet, clock: new FakeClock() }),
    commit: (records: OutgoingRecord[]) => {
      for (const r of records) {
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
    metrics: createAlertingMetrics(new Registry()),
    clock: new FakeClock(),
    logger: silentLogger,
  })
  pipeline.reset(new Map(), [{ topic: CHANNELS.vitals, partition: 0 }])
  return { pipeline, events }
}

describe('a re-driven reading in alerting', () => {
  it('is evaluated as late: it may raise, flagged late, and a live reading ends it', async () => {
    const { pipeline, events } = alerting()
    await pipeline.handle([live(1, 96, 0), live(2, 96, 1), live(3, 96, 2)])
    // seq 4 was rejected at T0 + 4 s; the device went on with seq 5 and 6.
    const rejected = dlqRecord(
      device,
      'devices/bm-9/telemetry',
      Buffer.from(encodeTelemetry(message(4, 85))),
      { reason: 'too_many_samples', detail: 'limit was 0' },
      T0 + 4_000,
      1024,
    )
    await pipeline.handle([live(5, 96, 3), live(6, 96, 4)])
    expect(events).toEqual([])

    const verdict = judgeRedrive(consumedRecord(rejected, { partition: 0, offset: 77 }), directory, limits)
    if (verdict.kind !== 'passes') throw new Error(`expected a pass, got ${verdict.kind}`)
    await pipeline.handle([consumedRecord(verdict.record, { offset: 5 })])
    expect(events.map((e) => [e.transition, e.late])).toEqual([['raised', true]])

    await pipeline.handle([live(7, 96, 6)])
    expect(events.map((e) => [e.transition, e.late])).toEqual([
      ['raised', true],
      ['cleared', false],
    ])
  })
})
