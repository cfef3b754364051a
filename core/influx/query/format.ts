import { METRICS, type MetricName } from '../../telemetry/metric-registry.js'
import type { AggregateFn } from './query-spec.js'
import type { Cell, QueryResult, ResultColumn } from './run-query.js'

export const OUTPUT_FORMATS = ['table', 'csv', 'json'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface FormatOptions {
  /** The one line a table prints when there are no rows. */
  emptyMessage?: string
}

export function formatResult(result: QueryResult, format: OutputFormat, options: FormatOptions = {}): string {
  if (format === 'csv') return formatCsv(result)
  if (format === 'json') return formatJson(result)
  return formatTable(result, options)
}

/** Decimals shown for a metric: its device resolution, one more for means and medians of it. */
export function decimalsFor(metric: MetricName, fn: AggregateFn | undefined): number {
  if (fn === 'count') return 0
  const [, fraction = ''] = METRICS[metric].resolution.toString().split('.')
  return fraction.length + (fn === 'mean' || fn === 'median' ? 1 : 0)
}

export function columnHeader(column: ResultColumn, fn: AggregateFn | undefined): string {
  if (column.kind !== 'value' || !column.metric) return column.name
  const unit = fn === 'count' ? 'n' : METRICS[column.metric].ucum
  return `${column.name} (${unit})`
}

/** Human output: numbers right-aligned with fixed decimals, units in the headers. */
export function formatTable(result: QueryResult, options: FormatOptions = {}): string {
  if (result.rows.length === 0) return `${options.emptyMessage ?? 'no data in this time range'}\n`
  const header = result.columns.map((c) => columnHeader(c, result.fn))
  const body = result.rows.map((row) =>
    result.columns.map((column, i) => tableCell(row[i] ?? null, column, result.fn)),
  )
  const widths = header.map((h, c) => Math.max(width(h), ...body.map((row) => width(row[c] ?? ''))))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => {
        const pad = ' '.repeat((widths[c] ?? 0) - width(cell))
        return result.columns[c]?.kind === 'value' ? pad + cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  return [line(header), ...body.map(line)].join('\n') + '\n'
}

function tableCell(cell: Cell, column: ResultColumn, fn: AggregateFn | undefined): string {
  if (cell === null) return '-'
  if (typeof cell === 'number')
    return column.metric ? cell.toFixed(decimalsFor(column.metric, fn)) : String(cell)
  // Tag values are shown, never interpreted: a control character must not move the cursor.
  return cell.replace(/\p{Cc}/gu, '\uFFFD')
}

/** Terminal columns, counted in code points (close enough for the ids and labels shown here). */
function width(text: string): number {
  return [...text].length
}

/** RFC 4180 fields; numbers at full precision, a missing value is an empty field. */
export function formatCsv(result: QueryResult): string {
  if (result.rows.length === 0) return ''
  const lines = [result.columns.map((c) => csvField(c.name)), ...result.rows.map((row) => row.map(csvField))]
  return lines.map((fields) => fields.join(',')).join('\n') + '\n'
}

export function csvField(cell: Cell): string {
  if (cell === null) return ''
  const text = String(cell)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** An array of objects keyed by column name; times are ISO-8601, missing values null. */
export function formatJson(result: QueryResult): string {
  const objects = result.rows.map((row) =>
    Object.fromEntries(result.columns.map((column, i) => [column.name, row[i] ?? null])),
  )
  return `${JSON.stringify(objects, null, 2)}\n`
}
