import { PipelineError } from '../../core/errors.js'

/**
 * InfluxQL over InfluxDB 1.8's /query, times as epoch ms. The load tester reads with InfluxQL
 * rather than Flux: its questions (a count per device, the points of a few devices) are
 * cheaper for InfluxDB in InfluxQL, and the reading should disturb the measured server little.
 */
export interface InfluxSeries {
  tags: Record<string, string>
  columns: string[]
  values: unknown[][]
}

interface QueryResponse {
  results?: Array<{
    error?: string
    series?: Array<Omit<InfluxSeries, 'tags'> & { tags?: Record<string, string> }>
  }>
  error?: string
}

export interface InfluxQl {
  query(q: string): Promise<InfluxSeries[]>
  /** Runs a statement that returns no rows (CREATE/DROP DATABASE). */
  exec(q: string): Promise<void>
}

export function createInfluxQl(url: string, database: string, timeoutMs = 30_000): InfluxQl {
  async function post(q: string): Promise<InfluxSeries[]> {
    const body = new URLSearchParams({ q, db: database, epoch: 'ms' })
    let response: Response
    try {
      response = await fetch(new URL('/query', url), {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw new PipelineError('INFLUX_UNAVAILABLE', `cannot reach InfluxDB at ${url}`, {
        cause: err,
        retriable: true,
      })
    }
    const text = await response.text()
    const parsed = (text ? JSON.parse(text) : {}) as QueryResponse
    const error = parsed.error ?? parsed.results?.find((r) => r.error)?.error
    if (!response.ok || error) {
      throw new PipelineError(
        'INFLUX_QUERY_FAILED',
        `InfluxQL failed (HTTP ${response.status}): ${error ?? text.slice(0, 300)}`,
        {
          retriable: response.status >= 500,
          context: { status: response.status },
        },
      )
    }
    return (parsed.results ?? []).flatMap((r) => (r.series ?? []).map((s) => ({ ...s, tags: s.tags ?? {} })))
  }
  return {
    query: post,
    exec: async (q) => {
      await post(q)
    },
  }
}

/** An identifier in double quotes, as InfluxQL wants for names with dashes. */
export const ident = (name: string): string => `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
/** A string literal (tag values). */
export const literal = (value: string): string => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
