import type { Kind, Priority } from './conditions.js'
import {
  ARTEFACT_SCENARIOS,
  DETERIORATION_SCENARIOS,
  type AlarmResult,
  type ConditionResult,
  type RuleRow,
  type ScenarioRow,
  type ScoreInput,
  type ScoreResult,
} from './score-types.js'

const PRIORITIES: readonly Priority[] = ['low', 'medium', 'high']

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0
}
const round1 = (n: number): number => Math.round(n * 10) / 10
const zeroes = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>

/** One row per scenario label: what was injected, what alarmed, what alarmed for nothing. */
export function scenarioRows(
  input: ScoreInput,
  conditions: readonly ConditionResult[],
  alarms: readonly AlarmResult[],
  labelOf: (id: string) => string,
): ScenarioRow[] {
  const hours = (input.endMs - input.startMs) / 3_600_000
  const labels = [...new Set(input.devices.map((d) => labelOf(d.deviceId)))].sort()
  return labels.map((scenario) => {
    const devices = input.devices.filter((d) => labelOf(d.deviceId) === scenario)
    const mine = conditions.filter((c) => c.scenario === scenario)
    const alarmed = mine.filter((c) => c.alarmed)
    const times = alarmed.map((c) => (c.timeToAlarmMs ?? 0) / 1000)
    const ownAlarms = alarms.filter((a) => a.scenario === scenario)
    const unwantedAlarms = ownAlarms.filter((a) => a.class === 'unwanted')
    const unwanted = zeroes(PRIORITIES)
    const byKind = zeroes<Kind>(['physiological', 'technical', 'score'])
    for (const a of unwantedAlarms) {
      unwanted[a.priority]++
      byKind[a.kind]++
    }
    const deviceHours = devices.length * hours
    const perHour = zeroes(PRIORITIES)
    for (const p of PRIORITIES) perHour[p] = deviceHours > 0 ? round1(unwanted[p] / deviceHours) : 0
    const artefactOnly =
      devices.length > 0 && (devices[0]?.scenarios ?? []).every((s) => ARTEFACT_SCENARIOS.includes(s))
    const delays = mine.map((c) => c.delayMs / 1000)
    return {
      scenario,
      devices: devices.length,
      deviceHours: Math.round(deviceHours * 1000) / 1000,
      conditions: mine.length,
      alarmed: alarmed.length,
      withinDelay: mine.filter((c) => c.withinDelay).length,
      sensitivity: mine.length === 0 ? null : alarmed.length / mine.length,
      timeToAlarmS:
        times.length === 0 ? null : { median: round1(median(times)), max: round1(Math.max(...times)) },
      delayS: delays.length === 0 ? null : { min: Math.min(...delays), max: Math.max(...delays) },
      alarms: ownAlarms.length,
      unwanted,
      unwantedPerDeviceHour: perHour,
      unwantedByKind: byKind,
      flaps: ownAlarms.filter((a) => a.flap).length,
      highOnArtefactOnly:
        artefactOnly && scenario !== 'none' ? ownAlarms.filter((a) => a.priority === 'high').length : 0,
    }
  })
}

export function ruleRows(conditions: readonly ConditionResult[]): RuleRow[] {
  const keys = [...new Set(conditions.map((c) => `${c.ruleId}\u0000${c.priority}`))].sort()
  return keys.map((key) => {
    const [ruleId = '', priority = 'low'] = key.split('\u0000')
    const mine = conditions.filter((c) => c.ruleId === ruleId && c.priority === priority)
    const alarmed = mine.filter((c) => c.alarmed)
    const withinDelay = mine.filter((c) => c.withinDelay).length
    const worst = mine.find((c) => !c.alarmed) ?? mine.find((c) => !c.withinDelay)
    const times = alarmed.map((c) => (c.timeToAlarmMs ?? 0) / 1000)
    return {
      ruleId,
      priority: priority as Priority,
      delayS: (mine[0]?.delayMs ?? 0) / 1000,
      conditions: mine.length,
      alarmed: alarmed.length,
      withinDelay,
      timeToAlarmMaxS: times.length === 0 ? null : round1(Math.max(...times)),
      verdict: alarmed.length < mine.length ? 'missed' : withinDelay < mine.length ? 'late' : 'ok',
      ...(worst?.why && { why: `${worst.deviceId}: ${worst.why}` }),
    }
  })
}

export function checks(
  input: ScoreInput,
  conditions: readonly ConditionResult[],
  alarms: readonly AlarmResult[],
): ScoreResult['checks'] {
  const deteriorating = new Set(
    input.devices
      .filter((d) => d.scenarios.some((s) => DETERIORATION_SCENARIOS.includes(s)))
      .map((d) => d.deviceId),
  )
  const det = conditions.filter((c) => c.kind !== 'technical' && deteriorating.has(c.deviceId))
  const artefactOnly = new Set(
    input.devices
      .filter((d) => d.scenarios.length > 0 && d.scenarios.every((s) => ARTEFACT_SCENARIOS.includes(s)))
      .map((d) => d.deviceId),
  )
  const high = alarms.filter((a) => artefactOnly.has(a.deviceId) && a.priority === 'high').length
  const within = det.filter((c) => c.withinDelay).length
  return {
    deteriorations: { total: det.length, withinDelay: within, pass: det.length > 0 && within === det.length },
    artefactHigh: { devices: artefactOnly.size, high, pass: high === 0 },
  }
}
