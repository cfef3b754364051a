import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../../core/alerts/alert-event.js'
import { scoreRun, type ScoredDevice } from '../../../../bench/score/match.js'
import type { TruthCondition } from '../../../../bench/score/truth.js'

const T0 = 1_800_000_000_000
const s = (seconds: number): number => T0 + seconds * 1000

function event(
  deviceId: string,
  ruleId: string,
  episode: number,
  transition: AlertEvent['transition'],
  atS: number,
  priority: AlertEvent['priority'] = 'medium',
  extra: Partial<AlertEvent> = {},
): AlertEvent {
  return {
    alertId: `${deviceId}/${ruleId}/${episode}`,
    deviceId,
    subjectId: '',
    ruleId,
    ruleType: 'threshold',
    kind: 'physiological',
    priority,
    transition,
    metric: 'spo2',
    value: 0,
    limit: 0,
    eventTsMs: s(atS),
    emittedTsMs: s(atS) + 200,
    latching: false,
    episode,
    message: '',
    actor: '',
    late: false,
    ...extra,
  }
}

function truth(
  deviceId: string,
  ruleId: string,
  priority: TruthCondition['priority'],
  onsetS: number,
  endS: number,
  delayS: number,
): TruthCondition {
  return {
    deviceId,
    ruleId,
    ruleType: 'threshold',
    kind: 'physiological',
    priority,
    onsetMs: s(onsetS),
    endMs: s(endS),
    delayMs: delayS * 1000,
    source: 'test',
  }
}

const devices: ScoredDevice[] = [
  { deviceId: 'desat-1', scenarios: ['desaturation'], deterioratingFromMs: s(10) },
  { deviceId: 'motion-1', scenarios: ['motion-artefact'] },
  { deviceId: 'base-1', scenarios: [] },
]
const window = { startMs: s(0), endMs: s(3600) }

describe('unit > bench > score > matching alarms against ground truth', () => {
  it('an alarm at onset + delay is on time; its time to alarm is alarm event time − onset', () => {
    const result = scoreRun({
      ...window,
      devices,
      truth: [truth('desat-1', 'spo2-low', 'medium', 20, 60, 15)],
      events: [event('desat-1', 'spo2-low', 1, 'raised', 35), event('desat-1', 'spo2-low', 1, 'cleared', 62)],
    })
    const [c] = result.conditions
    expect(c).toMatchObject({
      alarmed: true,
      timeToAlarmMs: 15_000,
      withinDelay: true,
      emittedAfterDueMs: 200,
    })
    expect(result.alarms).toEqual([expect.objectContaining({ class: 'matched', flap: false })])
    expect(result.checks.deteriorations).toEqual({ total: 1, withinDelay: 1, pass: true })
    const row = result.scenarios.find((r) => r.scenario === 'desaturation')
    expect(row).toMatchObject({ conditions: 1, alarmed: 1, sensitivity: 1, withinDelay: 1 })
  })

  it('a late alarm says by how much and why; a missing one says it is missing; the check fails', () => {
    const result = scoreRun({
      ...window,
      devices,
      truth: [
        truth('desat-1', 'news2', 'low', 20, 600, 0),
        truth('desat-1', 'spo2-low', 'high', 100, 130, 0),
      ],
      events: [event('desat-1', 'news2', 1, 'raised', 84, 'low', { kind: 'score' })],
      lateHints: { news2: 'median window' },
    })
    const late = result.conditions.find((c) => c.ruleId === 'news2')
    expect(late).toMatchObject({ alarmed: true, withinDelay: false, timeToAlarmMs: 64_000 })
    expect(late?.why).toBe('alarmed at +64 s, condition delay 0 s: median window')
    const missed = result.conditions.find((c) => c.ruleId === 'spo2-low')
    expect(missed).toMatchObject({ alarmed: false, withinDelay: false })
    expect(missed?.why).toContain('no spo2-low alarm while the condition lasted 30 s')
    expect(result.rules.map((r) => [r.ruleId, r.verdict])).toEqual([
      ['news2', 'late'],
      ['spo2-low', 'missed'],
    ])
    expect(result.checks.deteriorations).toEqual({ total: 2, withinDelay: 0, pass: false })
  })

  it('an episode already open at a higher priority covers a new condition (latching)', () => {
    const result = scoreRun({
      ...window,
      devices,
      truth: [
        truth('desat-1', 'spo2-low', 'high', 20, 30, 0),
        truth('desat-1', 'spo2-low', 'medium', 100, 140, 15),
      ],
      events: [
        event('desat-1', 'spo2-low', 1, 'raised', 20, 'high'),
        event('desat-1', 'spo2-low', 1, 'updated', 105, 'high'),
      ],
    })
    expect(result.conditions.map((c) => [c.priority, c.alarmed, c.alreadyActive ?? false])).toEqual([
      ['high', true, false],
      ['medium', true, true],
    ])
    // A lower priority does not count as alarming a higher one.
    const lower = scoreRun({
      ...window,
      devices,
      truth: [truth('desat-1', 'spo2-low', 'high', 20, 30, 0)],
      events: [event('desat-1', 'spo2-low', 1, 'raised', 20, 'medium')],
    })
    expect(lower.conditions[0]).toMatchObject({ alarmed: false })
    expect(lower.conditions[0]?.why).toContain('only medium priority')
  })

  it('counts unwanted alarms per device-hour by priority and kind, flaps, and high on artefact-only devices', () => {
    const result = scoreRun({
      ...window,
      devices,
      truth: [],
      events: [
        event('motion-1', 'spo2-low', 1, 'raised', 100, 'high'),
        event('motion-1', 'spo2-low', 1, 'cleared', 110, 'high'),
        event('motion-1', 'spo2-low', 2, 'raised', 150, 'medium'), // 40 s after the clear: a flap
        event('motion-1', 'spo2-low', 2, 'cleared', 160, 'medium'),
        event('motion-1', 'spo2-low', 3, 'raised', 400, 'medium'), // 240 s later: not a flap
        event('base-1', 'comm-loss', 1, 'raised', 500, 'medium', { kind: 'technical' }),
        // An escalation for want of acknowledgement is no new alarm.
        event('base-1', 'comm-loss', 1, 'escalated', 620, 'medium', { kind: 'technical', escalation: 1 }),
        // Physiological alarms during a deterioration are supported, not unwanted.
        event('desat-1', 'news2', 1, 'raised', 200, 'low', { kind: 'score' }),
      ],
    })
    const motion = result.scenarios.find((r) => r.scenario === 'motion-artefact')
    expect(motion).toMatchObject({
      devices: 1,
      conditions: 0,
      sensitivity: null,
      unwanted: { high: 1, medium: 2, low: 0 },
      unwantedPerDeviceHour: { high: 1, medium: 2, low: 0 },
      unwantedByKind: { physiological: 3, technical: 0, score: 0 },
      flaps: 1,
      highOnArtefactOnly: 1,
    })
    const base = result.scenarios.find((r) => r.scenario === 'none')
    expect(base).toMatchObject({ alarms: 1, unwanted: { medium: 1 }, unwantedByKind: { technical: 1 } })
    expect(result.alarms.find((a) => a.deviceId === 'desat-1')?.class).toBe('supported')
    expect(result.checks.artefactHigh).toEqual({ devices: 1, high: 1, pass: false })
  })

  it('ignores transitions after the run ended (devices going away at the end are not scored)', () => {
    const result = scoreRun({
      startMs: s(0),
      endMs: s(60),
      devices,
      truth: [],
      events: [event('base-1', 'comm-loss', 1, 'raised', 70, 'medium', { kind: 'technical' })],
    })
    expect(result.alarms).toEqual([])
  })
})
