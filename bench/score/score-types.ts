import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { Kind, Priority } from './conditions.js'
import type { TruthCondition } from './truth.js'

/** A device of the scored fleet and the scenarios it runs (none: a baseline device). */
export interface ScoredDevice {
  deviceId: string
  scenarios: readonly string[]
  /** True time from which a deterioration scenario is under way (undefined: none). */
  deterioratingFromMs?: number | undefined
}

export interface ScoreInput {
  devices: readonly ScoredDevice[]
  truth: readonly TruthCondition[]
  /** Alert events of these devices, any order. */
  events: readonly AlertEvent[]
  startMs: number
  endMs: number
  /** Per rule id, why it may alarm after its delay (e.g. NEWS2's median window). */
  lateHints?: Readonly<Record<string, string>>
}

export const ARTEFACT_SCENARIOS: readonly string[] = ['motion-artefact', 'probe-off']
export const DETERIORATION_SCENARIOS: readonly string[] = [
  'desaturation',
  'sepsis',
  'opioid-respiratory-depression',
]
/** Tolerance of "within condition delay" (issue #9: delay + 1 s) and of interval edges, ms. */
export const TOLERANCE_MS = 1000
export const FLAP_WINDOW_MS = 60_000

export const PRIORITY_RANK: Record<Priority, number> = { low: 1, medium: 2, high: 3 }

export interface ConditionResult extends TruthCondition {
  scenario: string
  alarmed: boolean
  /** Alarm (event time) − onset, ms; 0 when an episode of the rule was already active. */
  timeToAlarmMs?: number
  alreadyActive?: boolean
  /** emittedTsMs − (onset + delay): how long after it was due the alarm reached the alert stream. */
  emittedAfterDueMs?: number
  withinDelay: boolean
  why?: string
}

export type AlarmClass = 'matched' | 'supported' | 'unwanted'

export interface AlarmResult {
  deviceId: string
  scenario: string
  ruleId: string
  alertId: string
  kind: Kind
  priority: Priority
  eventTsMs: number
  class: AlarmClass
  flap: boolean
}

export interface ScenarioRow {
  scenario: string
  devices: number
  deviceHours: number
  conditions: number
  alarmed: number
  withinDelay: number
  /** alarmed / conditions, or null without conditions. */
  sensitivity: number | null
  timeToAlarmS: { median: number; max: number } | null
  delayS: { min: number; max: number } | null
  alarms: number
  unwanted: Record<Priority, number>
  unwantedPerDeviceHour: Record<Priority, number>
  unwantedByKind: Record<Kind, number>
  flaps: number
  highOnArtefactOnly: number
}

export interface RuleRow {
  ruleId: string
  priority: Priority
  delayS: number
  conditions: number
  alarmed: number
  withinDelay: number
  timeToAlarmMaxS: number | null
  verdict: 'ok' | 'late' | 'missed'
  why?: string
}

export interface ScoreResult {
  startMs: number
  endMs: number
  durationS: number
  scenarios: ScenarioRow[]
  rules: RuleRow[]
  conditions: ConditionResult[]
  alarms: AlarmResult[]
  checks: {
    deteriorations: { total: number; withinDelay: number; pass: boolean }
    artefactHigh: { devices: number; high: number; pass: boolean }
  }
}
