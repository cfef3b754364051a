import type { AlertKind, AlertPriority } from '../../core/alerts/alert-event.js'
import { readConfigFile } from '../../core/config/load.js'
import { DEVICE_TYPE_TABLE, type DeviceType } from '../../core/telemetry/device-types.js'
import type { Quality } from '../../core/telemetry/envelope.js'
import type { MetricName } from '../../core/telemetry/metric-registry.js'
import { FLATLINE_DEFAULTS, flatlineConfigSchema } from '../../processors/alerting/rules/flatline/flatline.js'
import { parseRuleSet } from '../../processors/alerting/rules/rule-set.js'
import { technicalConfigSchema } from '../../processors/alerting/rules/technical/technical.js'
import { thresholdConfigSchema } from '../../processors/alerting/rules/threshold/threshold.js'

export type Priority = Exclude<AlertPriority, 'unspecified'>
export type Kind = Exclude<AlertKind, 'unspecified'>

/** What the generated signal must show, sample by sample, for a rule's condition to be present. */
export interface SampleCondition {
  ruleId: string
  ruleType: string
  kind: Kind
  priority: Priority
  appliesTo: readonly DeviceType[]
  metric: MetricName
  /** The rule's condition delay: how long the condition must persist before the alarm is due, ms. */
  delayMs: number
  /** A fresh per-device judge of samples in time order (a flat run needs memory). */
  track(): (value: number, quality: Quality) => Presence
  /** One line for the report: "spo2 < 90 for 15 s". */
  label: string
}

/**
 * A sample's verdict: present, absent, `undefined` (says nothing: artefact; a run breaks) or
 * 'restart' (a run breaks and a new one starts at this sample: a flat value moved).
 */
export type Presence = boolean | undefined | 'restart'

/** A rule whose truth comes from scenario events rather than samples. */
export interface EventRule {
  ruleId: string
  ruleType: 'news2' | 'missing-data'
  kind: Kind
  appliesTo: readonly DeviceType[]
  /** news2: the input median window; missing-data: the silence timeout factor k. */
  medianWindowMs?: number
  priority?: Priority
  k?: number
}

export interface ScoreRules {
  source: string
  sampleConditions: SampleCondition[]
  eventRules: EventRule[]
  /** Rules no truth is derived for (the report lists them, so nobody reads a silence as a pass). */
  unscored: { ruleId: string; ruleType: string; why: string }[]
}

/** valid and unflagged readings are measurements (rules/README.md "Validity"); others are artefact. */
const measured = (quality: Quality): boolean => quality === 'valid' || quality === 'unspecified'

const COMMON_KEYS = ['id', 'type', 'appliesTo', 'description', 'enabled'] as const
type RawRule = Record<string, unknown> & { id: string; type: string; appliesTo: DeviceType[] }

function ownConfig(rule: RawRule): Record<string, unknown> {
  const own: Record<string, unknown> = { ...rule }
  for (const key of COMMON_KEYS) delete own[key]
  return own
}

const seconds = (ms: number): string => `${ms / 1000} s`

/**
 * The conditions a rule file defines, read with the rules' own schemas (the same file alerting
 * loads): limits, delays and priorities, so the ground truth follows the configured rules and
 * never a copy of them. Validated as a whole first, exactly as alerting validates it.
 */
export function loadScoreRules(file: string): ScoreRules {
  const raw = readConfigFile(file) as { rules: RawRule[] }
  parseRuleSet(raw, file)
  const sampleConditions: SampleCondition[] = []
  const eventRules: EventRule[] = []
  const unscored: ScoreRules['unscored'] = []
  for (const rule of raw.rules) {
    if (rule.enabled === false) continue
    const base = { ruleId: rule.id, ruleType: rule.type, appliesTo: rule.appliesTo }
    if (rule.type === 'threshold') {
      const config = thresholdConfigSchema.parse(ownConfig(rule))
      const below = config.direction === 'below'
      for (const level of config.levels) {
        sampleConditions.push({
          ...base,
          kind: config.kind,
          priority: level.priority,
          metric: config.metric,
          delayMs: level.delayMs,
          track: () => (value, quality) =>
            measured(quality) ? (below ? value < level.limit : value > level.limit) : undefined,
          label: `${config.metric} ${below ? '<' : '>'} ${level.limit} for ${seconds(level.delayMs)}`,
        })
      }
    } else if (rule.type === 'technical') {
      const config = technicalConfigSchema.parse(ownConfig(rule))
      if (config.condition === 'quality') {
        const qualities = new Set<Quality>(config.qualities)
        sampleConditions.push({
          ...base,
          kind: 'technical',
          priority: config.priority,
          metric: config.metric,
          delayMs: config.delayMs,
          track: () => (_value, quality) => qualities.has(quality),
          label: `${config.metric} quality ${config.qualities.join('|')} for ${seconds(config.delayMs)}`,
        })
      } else if (config.condition === 'battery') {
        for (const stage of config.stages) {
          sampleConditions.push({
            ...base,
            kind: 'technical',
            priority: stage.priority,
            metric: 'battery_level',
            delayMs: 0,
            track: () => (value) => value < stage.belowPct,
            label: `battery_level < ${stage.belowPct}`,
          })
        }
      } else if (config.condition === 'clock') {
        // The clock-skew scenario stays inside the ±5 min bound: a clock fault is never injected.
        unscored.push({ ...base, why: 'no scenario puts a device clock beyond time.maxDeviceSkewMs' })
      } else unscored.push({ ...base, why: 'pump alarm states are not injected by any scenario' })
    } else if (rule.type === 'flatline') {
      const config = flatlineConfigSchema.parse(ownConfig(rule))
      const defaults = FLATLINE_DEFAULTS[config.metric] ?? { minDurationMs: 3_600_000, epsilon: 0 }
      const epsilon = config.epsilon ?? defaults.epsilon
      sampleConditions.push({
        ...base,
        kind: 'technical',
        priority: config.priority,
        metric: config.metric,
        delayMs: config.minDurationMs ?? defaults.minDurationMs,
        track: () => flatRun(epsilon),
        label: `${config.metric} flat (±${epsilon}) for ${seconds(config.minDurationMs ?? defaults.minDurationMs)}`,
      })
    } else if (rule.type === 'news2') {
      const window = rule.medianWindowMs
      eventRules.push({
        ...base,
        ruleType: 'news2',
        kind: 'score',
        medianWindowMs: typeof window === 'number' ? window : 300_000,
      })
    } else if (rule.type === 'missing-data') {
      const priority = typeof rule.priority === 'string' ? (rule.priority as Priority) : 'medium'
      eventRules.push({
        ...base,
        ruleType: 'missing-data',
        kind: 'technical',
        priority,
        k: typeof rule.k === 'number' ? rule.k : 3,
      })
    } else {
      unscored.push({ ...base, why: `no ground truth is derived for ${rule.type} rules yet` })
    }
  }
  return { source: file, sampleConditions, eventRules, unscored }
}

/** A flat run: present while every valid value since the run began lies within epsilon. */
function flatRun(epsilon: number): (value: number, quality: Quality) => Presence {
  let min = Infinity
  let max = -Infinity
  return (value, quality) => {
    if (!measured(quality)) return undefined
    const lo = Math.min(min, value)
    const hi = Math.max(max, value)
    if (hi - lo > epsilon) {
      min = value
      max = value
      return 'restart'
    }
    min = lo
    max = hi
    return true
  }
}

/** The silence a missing-data rule waits for on a device type: k × its cadence. */
export function silenceTimeoutMs(rule: EventRule, type: DeviceType): number {
  const table = DEVICE_TYPE_TABLE as Partial<Record<DeviceType, { reportIntervalMs: number }>>
  return (rule.k ?? 3) * (table[type]?.reportIntervalMs ?? 10_000)
}
