import { describe, expect, it } from 'vitest'
import type { TelemetrySample } from '../../../../core/telemetry/envelope.js'
import { loadScoreRules } from '../../../../bench/score/conditions.js'
import { createTruthRecorder, eventTruth } from '../../../../bench/score/truth.js'
import type { GroundTruthEvent } from '../../../../devices-sim/scenarios/scenario.js'
import { repoRoot } from '../../../helpers/cli.js'

const rules = loadScoreRules(`${repoRoot}/deploy/rules/default.yaml`)
const T0 = 1_800_000_000_000
const spo2 = (
  atS: number,
  value: number,
  quality: TelemetrySample['quality'] = 'valid',
): TelemetrySample => ({
  metric: 'spo2',
  value,
  ucum: '%',
  quality,
  tsMs: T0 + atS * 1000,
  backfill: false,
})
const series = (fromS: number, values: number[], quality?: TelemetrySample['quality']): TelemetrySample[] =>
  values.map((v, i) => spo2(fromS + i, v, quality))

describe('unit > bench > score > ground truth from the generated signal', () => {
  it('derives the conditions of the configured rule levels, with their delays, from samples', () => {
    const recorder = createTruthRecorder(rules, () => 'bedside-monitor')
    // 97 %, then 20 s at 88 % (medium: < 90 for 15 s), 3 s at 84 % (high: < 85, no delay), back to 97.
    recorder.samples('bm-1', [
      ...series(0, [97, 97]),
      ...series(2, Array<number>(20).fill(88)),
      ...series(22, [84, 84, 84]),
      ...series(25, [97]),
    ])
    const found = recorder.finish().filter((c) => c.ruleId === 'spo2-low')
    expect(found.map((c) => [c.priority, (c.onsetMs - T0) / 1000, (c.endMs - T0) / 1000, c.delayMs])).toEqual(
      [
        ['medium', 2, 24, 15_000],
        ['high', 22, 24, 0],
      ],
    )
  })

  it('a condition shorter than its delay is no injected condition; artefact breaks a run', () => {
    const recorder = createTruthRecorder(rules, () => 'bedside-monitor')
    // 10 s at 88 % (< 15 s), then 8 s of motion artefact at 82 % (says nothing), then 10 s at 88 again.
    recorder.samples('bm-1', [
      ...series(0, Array<number>(10).fill(88)),
      ...series(10, Array<number>(8).fill(82), 'motion'),
      ...series(18, Array<number>(10).fill(88)),
    ])
    expect(recorder.finish().filter((c) => c.ruleId === 'spo2-low')).toEqual([])
  })

  it('probe-off quality is the technical condition; rules of other device types are not applied', () => {
    const recorder = createTruthRecorder(rules, (id) =>
      id === 'env-1' ? 'environmental-sensor' : 'bedside-monitor',
    )
    recorder.samples('bm-1', series(0, Array<number>(12).fill(0), 'probe_off'))
    recorder.samples('env-1', series(0, Array<number>(12).fill(0), 'probe_off'))
    expect(recorder.finish().map((c) => [c.deviceId, c.ruleId, c.kind, c.priority])).toEqual([
      ['bm-1', 'spo2-probe-off', 'technical', 'medium'],
    ])
  })

  it('NEWS2 bands of the sepsis trajectory are cumulative; an offline stretch is a comm-loss condition', () => {
    const at = (s: number): number => T0 + s * 1000
    const events: GroundTruthEvent[] = [
      { atMs: at(0), deviceId: 'bm-1', scenario: 'sepsis', event: 'sepsis-start', detail: { band: 'low' } },
      {
        atMs: at(60),
        deviceId: 'bm-1',
        scenario: 'sepsis',
        event: 'sepsis-phase',
        detail: { band: 'low-medium' },
      },
      {
        atMs: at(120),
        deviceId: 'bm-1',
        scenario: 'sepsis',
        event: 'sepsis-phase',
        detail: { band: 'medium' },
      },
      { atMs: at(10), deviceId: 'bm-2', scenario: 'offline-backfill', event: 'offline-start' },
      { atMs: at(40), deviceId: 'bm-2', scenario: 'offline-backfill', event: 'offline-end' },
    ]
    const truth = eventTruth(rules, events, () => 'bedside-monitor', at(300))
    expect(
      truth.map((c) => [
        c.deviceId,
        c.ruleId,
        c.priority,
        (c.onsetMs - T0) / 1000,
        (c.endMs - T0) / 1000,
        c.delayMs,
      ]),
    ).toEqual([
      ['bm-1', 'news2', 'low', 60, 300, 0],
      ['bm-1', 'news2', 'medium', 120, 300, 0],
      ['bm-2', 'comm-loss', 'medium', 10, 40, 3000],
    ])
  })
  it('an outage still on when the run ends lasts until the end', () => {
    const events: GroundTruthEvent[] = [
      { atMs: T0 + 60_000, deviceId: 'bm-3', scenario: 'offline-backfill', event: 'offline-start' },
    ]
    const truth = eventTruth(rules, events, () => 'bedside-monitor', T0 + 90_000)
    expect(truth.map((c) => [c.ruleId, c.onsetMs - T0, c.endMs - T0])).toEqual([
      ['comm-loss', 60_000, 90_000],
    ])
  })
})
