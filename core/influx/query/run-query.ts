import type { InfluxAdapter } from '../client.js'
import type { MetricName } from '../../telemetry/metric-registry.js'
import { TAGS, qualityField } from '../layout.js'
import { fluxQuery, keyTags } from './flux.js'
import type { AggregateFn, QuerySpec, SeriesTag } from './query-spec.js'

export type Cell = string | number | null

export interface ResultColumn {
  /** Output name: `time`, `device`/`subject`/`site`, a metric, or `<metric>_quality`. */
  name: string
  kind: 'time' | 'key' | 'value' | 'quality'
  metric?: MetricName
}

/** A query's answer in one shape for every output format: rows of cells aligned with columns. */
export interface QueryResult {
  columns: ResultColumn[]
  rows: Cell[][]
  /** The aggregate applied per window; undefined for raw readings. */
  fn: AggregateFn | undefined
  /** True when a series reached the limit, so later rows may be missing. */
  truncated: boolean
}

const KEY_NAMES: Readonly<Record<SeriesTag, string>> = {
  [TAGS.deviceId]: 'device',
  [TAGS.subject]: 'subject',
  [TAGS.site]: 'site',
}

export async function runQuery(
  influx: Pick<InfluxAdapter, 'query'>,
  spec: QuerySpec,
  bucket: string,
): Promise<QueryResult> {
  return toResult(spec, await influx.query(fluxQuery(spec, bucket)))
}

interface MergedRow {
  timeMs: number
  keys: Array<string | null>
  values: Map<MetricName, number>
  quality: Map<MetricName, string>
}

/**
 * Merges the pivoted rows of the `values` and `quality` results by series and time. Pure, so
 * the mapping is tested without a server.
 */
export function toResult(spec: QuerySpec, fluxRows: ReadonlyArray<Record<string, unknown>>): QueryResult {
  const keys = keyTags(spec)
  const merged = new Map<string, MergedRow>()
  const perSeries = new Map<string, number>()
  for (const row of fluxRows) {
    const timeMs = Date.parse(String(row._time))
    if (!Number.isFinite(timeMs)) continue
    const keyValues = keys.map((tag) => {
      const value = row[tag]
      return typeof value === 'string' ? value : null
    })
    const isQuality = row.result === 'quality'
    const seriesId = JSON.stringify([isQuality, keyValues])
    perSeries.set(seriesId, (perSeries.get(seriesId) ?? 0) + 1)
    const id = JSON.stringify([keyValues, timeMs])
    let target = merged.get(id)
    if (!target) {
      target = { timeMs, keys: keyValues, values: new Map(), quality: new Map() }
      merged.set(id, target)
    }
    for (const metric of spec.metrics) {
      const value = row[isQuality ? qualityField(metric) : metric]
      if (isQuality && typeof value === 'string') target.quality.set(metric, value)
      if (!isQuality && typeof value === 'number') target.values.set(metric, value)
    }
  }
  const rows = [...merged.values()].sort(compareRows)
  const shown = spec.metricsExplicit
    ? spec.metrics
    : spec.metrics.filter((m) => rows.some((r) => r.values.has(m)))
  const columns: ResultColumn[] = [
    { name: 'time', kind: 'time' },
    ...keys.map((tag): ResultColumn => ({ name: KEY_NAMES[tag], kind: 'key' })),
    ...shown.flatMap((metric): ResultColumn[] => [
      { name: metric, kind: 'value', metric },
      ...(spec.includeQuality ? [{ name: qualityField(metric), kind: 'quality' as const, metric }] : []),
    ]),
  ]
  return {
    columns,
    rows: rows.map((r) => [
      new Date(r.timeMs).toISOString(),
      ...r.keys,
      ...shown.flatMap((m): Cell[] => [
        r.values.get(m) ?? null,
        ...(spec.includeQuality ? [r.quality.get(m) ?? null] : []),
      ]),
    ]),
    fn: spec.window?.fn,
    truncated: spec.limit !== undefined && [...perSeries.values()].some((n) => n >= (spec.limit ?? 0)),
  }
}

function compareRows(a: MergedRow, b: MergedRow): number {
  for (const [i, key] of a.keys.entries()) {
    const other = b.keys[i] ?? null
    if (key !== other) return key === null ? -1 : other === null ? 1 : key < other ? -1 : 1
  }
  return a.timeMs - b.timeMs
}
