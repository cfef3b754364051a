import { ConfigError } from '../../errors.js'
import { METRICS, type MetricName } from '../../telemetry/metric-registry.js'
import { STORAGE_MEASUREMENTS, qualityField, type Measurement } from '../layout.js'
import { GROUP_TAGS, type AggregateFn, type QuerySpec, type SeriesTag } from './query-spec.js'
import type { TimeBound } from './time-bounds.js'

/**
 * The only way text enters a generated query. Besides `\` and `"`, every `$` is written as
 * `\x24`: the Flux scanner of InfluxDB 1.8 lets a bare `$` swallow the next character, so
 * `$"` would end the literal early (and `${…}` starts an interpolation). Newline, CR and tab
 * are escaped; other control characters and lone surrogates are refused, as no tag holds them.
 */
export function fluxString(text: string): string {
  const problem = fluxTextProblem(text)
  if (problem) throw new ConfigError('flux', [{ path: 'string literal', message: problem }])
  return `"${text.replace(/[\\"\n\r\t$]/g, (c) => LITERAL_ESCAPES[c] ?? c)}"`
}

const LITERAL_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  $: '\\x24',
}

/** Why a text cannot be a Flux string literal's content, or undefined when it can. */
export function fluxTextProblem(text: string): string | undefined {
  const control = /[^\P{Cc}\n\r\t]/u.exec(text)
  if (control) {
    const code = control[0].codePointAt(0) ?? 0
    return `contains control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  }
  if (/\p{Cs}/u.test(text)) return 'contains a lone surrogate (not well-formed Unicode)'
  return undefined
}

// Exact median: the default t-digest estimate can differ from the true median on large windows.
const FLUX_FNS: Readonly<Record<AggregateFn, string>> = {
  mean: 'mean',
  min: 'min',
  max: 'max',
  median: '(column, tables=<-) => tables |> median(column: column, method: "exact_mean")',
  last: 'last',
  first: 'first',
  count: 'count',
  sum: 'sum',
}

/** The tag columns that identify a result row besides its time. */
export function keyTags(spec: QuerySpec): SeriesTag[] {
  if (!spec.window) return [GROUP_TAGS.device]
  return spec.groupBy === 'none' ? [] : [GROUP_TAGS[spec.groupBy]]
}

/** The measurements that can hold the metrics: a `device` metric (battery) is on either channel. */
export function measurementsFor(metrics: readonly MetricName[]): Measurement[] {
  const all = Object.values(STORAGE_MEASUREMENTS)
  const families = new Set(metrics.map((m) => METRICS[m].family))
  return all.filter((measurement) => families.has(measurement) || families.has('device'))
}

/** Spec → Flux text. Pure: the same spec and bucket always give the same query. */
export function fluxQuery(spec: QuerySpec, bucket: string): string {
  const keys = keyTags(spec)
  const source = [
    `from(bucket: ${fluxString(bucket)})`,
    `  |> range(${rangeArgs(spec.start, spec.stop)})`,
    `  |> filter(fn: (r) => ${anyOf('_measurement', measurementsFor(spec.metrics))})`,
    `  |> filter(fn: (r) => ${anyOf(spec.selector.tag, spec.selector.values)})`,
  ]
  const values = pipeline(spec, keys, spec.metrics, 'values')
  if (!spec.includeQuality) return [...source, ...values].join('\n') + '\n'
  const quality = pipeline(spec, keys, spec.metrics.map(qualityField), 'quality')
  return (
    [`data = ${source[0]}`, ...source.slice(1), '', 'data', ...values, '', 'data', ...quality].join('\n') +
    '\n'
  )
}

function pipeline(
  spec: QuerySpec,
  keys: readonly string[],
  fields: readonly string[],
  name: string,
): string[] {
  const lines = [`  |> filter(fn: (r) => ${anyOf('_field', fields)})`]
  if (spec.window) {
    lines.push(
      `  |> group(columns: ${stringList([...keys, '_field'])})`,
      `  |> aggregateWindow(every: ${spec.window.every.flux}, fn: ${FLUX_FNS[spec.window.fn]}, createEmpty: false, timeSrc: "_start")`,
    )
  }
  lines.push(
    `  |> keep(columns: ${stringList(['_time', '_value', '_field', ...keys])})`,
    keys.length === 0 ? '  |> group()' : `  |> group(columns: ${stringList(keys)})`,
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    '  |> sort(columns: ["_time"])',
  )
  if (spec.limit !== undefined) lines.push(`  |> limit(n: ${spec.limit.toFixed(0)})`)
  lines.push(`  |> yield(name: ${fluxString(name)})`)
  return lines
}

function rangeArgs(start: TimeBound, stop: TimeBound): string {
  const args = [`start: ${fluxTime(start)}`]
  if (stop.kind !== 'now') args.push(`stop: ${fluxTime(stop)}`)
  return args.join(', ')
}

function fluxTime(bound: TimeBound): string {
  if (bound.kind === 'now') return 'now()'
  // Both forms are re-serialised from parsed values: a duration from its digits and units,
  // a timestamp by toISOString.
  return bound.kind === 'relative' ? bound.flux : bound.iso
}

/** `r.col == "a" or r.col == "b"`; `col` is one of our own column names, never user text. */
function anyOf(column: string, values: readonly string[]): string {
  return values.map((v) => `r.${column} == ${fluxString(v)}`).join(' or ')
}

function stringList(values: readonly string[]): string {
  return `[${values.map(fluxString).join(', ')}]`
}
