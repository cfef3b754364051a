import { METRICS } from '../../telemetry/metric-registry.js'
import { renderChart, type ChartOptions, type ChartPoint } from './chart.js'
import { decimalsFor } from './format.js'
import type { QueryResult } from './run-query.js'

export interface ResultChartOptions extends ChartOptions {
  /** How the values were made, for the title: "mean per 1m"; undefined for raw readings. */
  window?: string | undefined
  /** The one line printed when there are no rows. */
  emptyMessage?: string
}

/**
 * A chart per (series, metric) of a query result: the rows of one key (device, subject or
 * site, as the query grouped them) are one series, each metric column its own chart, since
 * metrics do not share a unit or a scale.
 */
export function chartResult(result: QueryResult, options: ResultChartOptions): string {
  if (result.rows.length === 0) return `${options.emptyMessage ?? 'no data in this time range'}\n`
  const keyColumns = result.columns.flatMap((c, i) => (c.kind === 'key' ? [i] : []))
  const groups = new Map<string, Array<(typeof result.rows)[number]>>()
  for (const row of result.rows) {
    const id = JSON.stringify(keyColumns.map((i) => row[i] ?? null))
    const group = groups.get(id)
    if (group) group.push(row)
    else groups.set(id, [row])
  }
  const charts: string[] = []
  for (const rows of groups.values()) {
    const who =
      keyColumns.map((i) => `${result.columns[i]?.name ?? ''} ${shown(rows[0]?.[i] ?? null)}`).join(', ') ||
      'all selected series'
    for (const [c, column] of result.columns.entries()) {
      if (column.kind !== 'value' || !column.metric) continue
      const metric = METRICS[column.metric]
      const unit = result.fn === 'count' ? 'n' : metric.ucum
      const how = options.window ? `, ${options.window}` : ''
      const points: ChartPoint[] = rows.map((row) => {
        const value = row[c]
        return { timeMs: Date.parse(String(row[0])), value: typeof value === 'number' ? value : null }
      })
      charts.push(
        renderChart(
          {
            title: `${who} · ${metric.label} (${column.metric}, ${unit}${how})`,
            points,
            decimals: decimalsFor(column.metric, result.fn),
          },
          options,
        ),
      )
    }
  }
  return charts.join('\n')
}

/** Tag values are shown, never interpreted: a control character must not move the cursor. */
function shown(cell: string | number | null): string {
  return cell === null ? '-' : String(cell).replace(/\p{Cc}/gu, '\uFFFD')
}
