import { z } from 'zod'
import { zodIssuesToConfigIssues } from '../../config/load.js'
import { ConfigError, type ConfigIssue } from '../../errors.js'
import { METRICS, METRIC_NAMES, type MetricFamily, type MetricName } from '../../telemetry/metric-registry.js'
import { TAGS } from '../layout.js'
import {
  boundMs,
  boundText,
  parseDuration,
  parseTimeBound,
  printable,
  type Duration,
  type TimeBound,
} from './time-bounds.js'

export const AGGREGATE_FNS = ['mean', 'min', 'max', 'median', 'last', 'first', 'count', 'sum'] as const
export type AggregateFn = (typeof AGGREGATE_FNS)[number]

export const GROUP_BYS = ['device', 'subject', 'site', 'none'] as const
export type GroupBy = (typeof GROUP_BYS)[number]

export const METRIC_FAMILIES: readonly MetricFamily[] = ['vitals', 'environment', 'device']

export const MAX_IDS = 200
export const MAX_ID_LENGTH = 256
export const MAX_LIMIT = 1_000_000
export const DEFAULT_START = '-1h'

/** The tag a selector or a grouping filters on, as storage writes it. */
export type SeriesTag = (typeof TAGS)[keyof Pick<typeof TAGS, 'deviceId' | 'subject' | 'site'>]

export const GROUP_TAGS: Readonly<Record<Exclude<GroupBy, 'none'>, SeriesTag>> = {
  device: TAGS.deviceId,
  subject: TAGS.subject,
  site: TAGS.site,
}

/** A validated query: every string in it is either from a closed set or an opaque tag value. */
export interface QuerySpec {
  selector: { tag: SeriesTag; values: readonly string[] }
  metrics: readonly MetricName[]
  /** False when the metrics were defaulted: then metric columns without data are left out. */
  metricsExplicit: boolean
  start: TimeBound
  stop: TimeBound
  window: { every: Duration; fn: AggregateFn } | undefined
  groupBy: GroupBy
  limit: number | undefined
  includeQuality: boolean
}

/** What a caller (the CLI, a test) hands in before validation. */
export interface QuerySpecInput {
  devices?: string[] | undefined
  subjects?: string[] | undefined
  site?: string | undefined
  metrics?: string[] | undefined
  start?: string | undefined
  stop?: string | undefined
  every?: string | undefined
  fn?: string | undefined
  groupBy?: string | undefined
  limit?: number | undefined
  includeQuality?: boolean | undefined
}

// Tag values are matched, never interpreted: any text is allowed except what cannot be a tag
// value anyway (control characters) or cannot round-trip through UTF-8 (lone surrogates).
const tagValue = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters (newline, tab, NUL, …)')
  .refine((s) => !/\p{Cs}/u.test(s), 'must be well-formed Unicode (no lone surrogates)')

const tagValues = z
  .array(tagValue)
  .min(1, 'give at least one')
  .max(MAX_IDS, `at most ${MAX_IDS} at once`)
  .optional()

const metricList = z
  .array(z.string())
  .min(1, 'give at least one metric')
  .optional()
  .transform((names, ctx) => {
    const metrics = new Set<MetricName>()
    for (const [index, name] of (names ?? []).entries()) {
      const expanded = expandMetric(name)
      if (expanded) for (const m of expanded) metrics.add(m)
      else
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `unknown metric "${printable(name)}": one of ${METRIC_NAMES.join(', ')}, or a family (${METRIC_FAMILIES.join(', ')})`,
        })
    }
    return names === undefined ? undefined : [...metrics]
  })

const bound = (allowNow: boolean) =>
  z.string().transform((text, ctx): TimeBound => {
    const parsed = parseTimeBound(text, allowNow)
    if (parsed.ok) return parsed.bound
    ctx.addIssue({ code: 'custom', message: parsed.message })
    return z.NEVER
  })

const FIELDS = {
  devices: tagValues,
  subjects: tagValues,
  site: tagValue.optional(),
  metrics: metricList,
  start: bound(false).optional(),
  stop: bound(true).optional(),
  every: z
    .string()
    .transform((text, ctx): Duration => {
      const duration = parseDuration(text)
      if (duration) return duration
      ctx.addIssue({
        code: 'custom',
        message: `"${printable(text)}" is not a window: a positive duration such as 30s, 1m, 1h, 1d (at most 3650d)`,
      })
      return z.NEVER
    })
    .optional(),
  fn: z.enum(AGGREGATE_FNS, { error: `expected one of ${AGGREGATE_FNS.join(', ')}` }).optional(),
  groupBy: z.enum(GROUP_BYS, { error: `expected one of ${GROUP_BYS.join(', ')}` }).optional(),
  limit: z
    .number({ error: `expected a whole number 1–${MAX_LIMIT}` })
    .int(`expected a whole number 1–${MAX_LIMIT}`)
    .min(1, `expected a whole number 1–${MAX_LIMIT}`)
    .max(MAX_LIMIT, `expected a whole number 1–${MAX_LIMIT}`)
    .optional(),
  includeQuality: z.boolean().optional(),
}
type Fields = { [K in keyof typeof FIELDS]?: z.output<(typeof FIELDS)[K]> }

export function expandMetric(name: string): readonly MetricName[] | undefined {
  if ((METRIC_NAMES as readonly string[]).includes(name)) return [name as MetricName]
  if ((METRIC_FAMILIES as readonly string[]).includes(name))
    return METRIC_NAMES.filter((m) => METRICS[m].family === name)
  return undefined
}

export type SpecResult = { ok: true; spec: QuerySpec } | { ok: false; issues: ConfigIssue[] }

/**
 * Validates a query, reporting every problem at once: each field on its own, then the rules
 * between fields whose values are valid. `nowMs` only orders relative and absolute bounds.
 */
export function parseQuerySpec(input: QuerySpecInput, nowMs = Date.now()): SpecResult {
  const issues: ConfigIssue[] = []
  const raw = input as Record<string, unknown>
  const fields: Fields = {}
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(FIELDS, key)) issues.push({ path: key, message: 'unknown option' })
  }
  for (const key of Object.keys(FIELDS) as Array<keyof typeof FIELDS>) {
    const result = FIELDS[key].safeParse(raw[key])
    if (result.success) (fields as Record<string, unknown>)[key] = result.data
    else
      issues.push(
        ...zodIssuesToConfigIssues(result.error.issues.map((i) => ({ ...i, path: [key, ...i.path] }))),
      )
  }
  const problem = (path: string, message: string): void => {
    issues.push({ path, message })
  }

  const selectors = (['devices', 'subjects', 'site'] as const).filter((k) => raw[k] !== undefined)
  if (selectors.length !== 1)
    problem(
      'selector',
      selectors.length === 0
        ? 'choose what to query: devices, subjects or a site'
        : `give only one of devices, subjects, site (got ${selectors.join(', ')})`,
    )

  const start = fields.start ?? (raw.start === undefined ? startDefault() : undefined)
  const stop = fields.stop ?? (raw.stop === undefined ? ({ kind: 'now' } as const) : undefined)
  if (start && stop) {
    const [startMs, stopMs] = [boundMs(start, nowMs), boundMs(stop, nowMs)]
    if (startMs >= nowMs && stop.kind === 'now')
      problem('start', `${boundText(start)} is in the future: give a stop after it`)
    else if (stopMs <= startMs)
      problem('stop', `must be after start (start ${boundText(start)}, stop ${boundText(stop)})`)
  }

  const groupBy = fields.groupBy ?? 'device'
  if (raw.every === undefined) {
    if (raw.fn !== undefined) problem('fn', 'an aggregate function needs an aggregate window, e.g. 1m')
    if (raw.groupBy !== undefined && groupBy !== 'device')
      problem(
        'groupBy',
        `grouping by ${groupBy} needs an aggregate window: raw readings are listed per device`,
      )
  } else if (raw.includeQuality === true) {
    problem('includeQuality', 'quality is shown for raw readings only, not with an aggregate window')
  }

  if (issues.length > 0 || !start || !stop) return { ok: false, issues }
  return {
    ok: true,
    spec: {
      selector: selectorOf(fields),
      metrics: fields.metrics ?? METRIC_NAMES,
      metricsExplicit: fields.metrics !== undefined,
      start,
      stop,
      window: fields.every ? { every: fields.every, fn: fields.fn ?? 'mean' } : undefined,
      groupBy,
      limit: fields.limit,
      includeQuality: fields.includeQuality ?? false,
    },
  }
}

/** parseQuerySpec for callers that want the CLI's behaviour: a ConfigError listing every problem. */
export function querySpec(input: QuerySpecInput, nowMs = Date.now(), source = 'query'): QuerySpec {
  const result = parseQuerySpec(input, nowMs)
  if (!result.ok) throw new ConfigError(source, result.issues)
  return result.spec
}

function startDefault(): TimeBound {
  const parsed = parseTimeBound(DEFAULT_START, false)
  if (!parsed.ok) throw new Error(`bad DEFAULT_START ${DEFAULT_START}`)
  return parsed.bound
}

function selectorOf(fields: Fields): QuerySpec['selector'] {
  if (fields.devices) return { tag: TAGS.deviceId, values: fields.devices }
  if (fields.subjects) return { tag: TAGS.subject, values: fields.subjects }
  return { tag: TAGS.site, values: fields.site === undefined ? [] : [fields.site] }
}
