import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../../core/alerts/alert-event.js'
import type { TelemetryEnvelope } from '../../../../core/telemetry/envelope.js'
import { METRICS, type MetricName } from '../../../../core/telemetry/metric-registry.js'
import { createAlertEngine } from '../../../../processors/alerting/engine/engine.js'
import { DEFAULT_RULES_FILE, loadRuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import { repoRoot } from '../../../helpers/cli.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { createIcuNumericsFeed, SPO2_ZEROS, type NumericsFeed } from '../../../helpers/icu-numerics-feed.js'

const ruleSet = loadRuleSet(join(repoRoot, DEFAULT_RULES_FILE))
const START = Date.UTC(2026, 0, 10, 6)

const sample = (metric: MetricName, value: number, tsMs: number) => ({
  metric,
  value,
  ucum: METRICS[metric].ucum,
  quality: 'unspecified' as const,
  tsMs,
  backfill: false,
})

function replay(feed: NumericsFeed): AlertEvent[] {
  const engine = createAlertEngine({ ruleSet, clock: new FakeClock() })
  const info = { deviceId: 'icu-1', deviceType: 'bedside-monitor' as const }
  return feed.rows.flatMap((r, i) => {
    const m: TelemetryEnvelope = {
      deviceId: 'icu-1',
      bootId: 'b',
      seq: i + 1,
      deviceTsMs: r.tMs,
      deviceType: 'bedside-monitor',
      samples: [
        sample('heart_rate', r.hr, r.tMs),
        sample('spo2', r.spo2, r.tMs),
        sample('respiration_rate', r.rr, r.tMs),
      ],
    }
    return [...engine.onTelemetry(m, info, r.tMs), ...engine.advance(r.tMs)]
  })
}

describe('processors > alerting > a 32 h numerics record without quality flags (default rules)', () => {
  it('is deterministic and has the dropouts and episodes it promises', () => {
    const feed = createIcuNumericsFeed(START)
    expect(createIcuNumericsFeed(START)).toEqual(feed)
    expect(feed.rows).toHaveLength(32 * 60)
    expect(feed.rows.filter((r) => r.spo2 === 0)).toHaveLength(SPO2_ZEROS)
    expect(feed.episodes).toHaveLength(5)
  })

  it('turns dropouts into technical no-signal alarms and raises every desaturation as its own episode', () => {
    const feed = createIcuNumericsFeed(START)
    const events = replay(feed)
    const story = (e: AlertEvent): string =>
      `${e.ruleId}:${e.transition}:${e.priority}:${e.episode}@${(e.eventTsMs - START) / 60_000}`
    console.info(events.filter((e) => e.kind !== 'technical').map(story))
    const inDropout = (ts: number): boolean =>
      [...feed.spo2Dropouts, ...feed.hrDropouts].some(
        (run) => ts >= feed.rows[run.start]!.tMs && ts <= feed.rows[run.start + run.length - 1]!.tMs,
      )
    expect(events.filter((e) => e.kind !== 'technical' && inDropout(e.eventTsMs)).map(story)).toEqual([])
    expect(events.filter((e) => e.kind === 'physiological' && e.value === 0).map(story)).toEqual([])
    const raised = events.filter((e) => e.ruleId === 'spo2-low' && e.transition === 'raised')
    expect(raised.map((e) => e.episode)).toEqual([1, 2, 3, 4, 5])
    const noSignal = events.filter((e) => e.ruleId === 'spo2-no-signal' && e.transition === 'raised')
    expect(noSignal).toHaveLength(feed.spo2Dropouts.filter((r) => r.length >= 2).length)
    // Only the dropouts and the desaturations alarm: nothing else in 32 h of a stable patient.
    const rules = new Set(events.map((e) => e.ruleId))
    expect([...rules].sort()).toEqual(['hr-no-signal', 'spo2-low', 'spo2-no-signal'])
  })
})
