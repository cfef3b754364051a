import { HttpError, InfluxDB, type Point, type SendOptions } from '@influxdata/influxdb-client'
import type { InfluxConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import { WRITE_PRECISION } from './line-protocol.js'

/** The time-series port: one write call is one HTTP request, so callers know exactly what is stored. */
export interface InfluxAdapter {
  /**
   * Writes points in one request; resolves when InfluxDB acknowledged them (204). A point is a
   * line of line protocol with a timestamp in WRITE_PRECISION (storage's hot path builds those
   * itself), or a client `Point`, serialised by the client.
   */
  write(points: ReadonlyArray<string | Point>): Promise<void>
  /** Runs a Flux query and returns its rows as plain objects. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(flux: string): Promise<Row[]>
  /** Creates the database (v1) or bucket (v2) when it is missing. Idempotent. */
  ensureBucket(): Promise<void>
  /** True when `/ping` answers 204. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export function createInfluxAdapter(config: InfluxConfig): InfluxAdapter {
  const influx = new InfluxDB({ url: config.url, token: config.token, timeout: config.timeoutMs })
  // No buffering or retries inside the client: batching, retries and offset commits belong to
  // the storage pipeline, which must know when a batch is durable (architecture.md §2). So one
  // call is one request, sent by the client's own transport (its timeout, gzip, HttpError) as
  // its write API sends a batch, without the write API's per-line buffer and byte counting: the
  // lines arrive ready (bench/profiles/README.md, "storage writes line protocol").
  const writePath =
    `/api/v2/write?org=${encodeURIComponent(config.org)}` +
    `&bucket=${encodeURIComponent(config.bucket)}&precision=${WRITE_PRECISION}`
  const writeOptions: SendOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    gzipThreshold: 1_000,
  }
  // A client Point is serialised with a write API's settings (its time conversion); this one
  // never sends anything.
  const pointSettings = influx.getWriteApi(config.org, config.bucket, WRITE_PRECISION, { flushInterval: 0 })
  const queryApi = influx.getQueryApi(config.org)

  return {
    async write(points) {
      const lines: string[] = []
      for (const p of points) {
        const line = typeof p === 'string' ? p : p.toLineProtocol(pointSettings)
        if (line) lines.push(line) // a Point without fields has no line, as in the write API
      }
      if (lines.length === 0) return
      try {
        let status: number | undefined
        await influx.transport.request(writePath, lines.join('\n'), writeOptions, (_headers, statusCode) => {
          status = statusCode
        })
        // What the write API accepts as written: 204, or 201 (InfluxDB 3's partial success).
        if (status !== undefined && status !== 204 && status !== 201) {
          throw new HttpError(status, `204 HTTP response status code expected, but ${status} returned`)
        }
      } catch (err) {
        throw influxError('INFLUX_WRITE_FAILED', `write of ${points.length} points failed`, err)
      }
    },
    async query<Row extends Record<string, unknown>>(flux: string) {
      try {
        return await queryApi.collectRows<Row>(flux)
      } catch (err) {
        throw influxError('INFLUX_QUERY_FAILED', 'Flux query failed', err)
      }
    },
    ensureBucket: () => (config.flavor === 'v1' ? ensureDatabaseV1(config) : ensureBucketV2(config)),
    async ping() {
      try {
        const response = await fetch(new URL('/ping', config.url), {
          signal: AbortSignal.timeout(config.timeoutMs),
        })
        return response.status === 204
      } catch {
        return false
      }
    },
    close: () => Promise.resolve(),
  }
}

/** 429 and 5xx are worth retrying; 400 (bad line protocol) or 401/404 never succeed as they are. */
export function influxError(
  code: 'INFLUX_WRITE_FAILED' | 'INFLUX_QUERY_FAILED',
  message: string,
  err: unknown,
) {
  const status = err instanceof HttpError ? err.statusCode : undefined
  const retriable = status === undefined || status === 429 || status >= 500
  const detail = err instanceof Error ? err.message : String(err)
  return new PipelineError(status === undefined ? 'INFLUX_UNAVAILABLE' : code, `${message}: ${detail}`, {
    cause: err,
    retriable,
    context: { status },
  })
}

async function request(config: InfluxConfig, path: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers)
  if (config.token) headers.set('authorization', `Token ${config.token}`)
  try {
    return await fetch(new URL(path, config.url), {
      ...init,
      headers,
      signal: AbortSignal.timeout(config.timeoutMs),
    })
  } catch (err) {
    throw new PipelineError('INFLUX_UNAVAILABLE', `cannot reach InfluxDB at ${config.url}`, {
      cause: err,
      retriable: true,
    })
  }
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const text = await response.text()
  if (!response.ok) {
    throw new PipelineError('INFLUX_SETUP_FAILED', `${what}: HTTP ${response.status} ${text.slice(0, 300)}`, {
      retriable: response.status >= 500,
    })
  }
  return text ? (JSON.parse(text) as unknown) : undefined
}

/** InfluxDB 1.8: the bucket is "database/retention-policy"; CREATE DATABASE is idempotent. */
async function ensureDatabaseV1(config: InfluxConfig): Promise<void> {
  const [database] = config.bucket.split('/')
  if (!database) throw new PipelineError('INFLUX_SETUP_FAILED', `bad v1 bucket "${config.bucket}"`)
  const body = new URLSearchParams({ q: `CREATE DATABASE "${database.replaceAll('"', '\\"')}"` })
  const [user, password] = config.token.includes(':') ? config.token.split(':', 2) : []
  if (user) body.set('u', user)
  if (password) body.set('p', password)
  const result = (await expectOk(
    await request({ ...config, token: '' }, '/query', { method: 'POST', body }),
    'CREATE DATABASE',
  )) as { results?: Array<{ error?: string }> }
  const error = result.results?.find((r) => r.error)?.error
  if (error) throw new PipelineError('INFLUX_SETUP_FAILED', `CREATE DATABASE ${database}: ${error}`)
}

/** InfluxDB 2.x: look the bucket up by name in the org, create it (infinite retention) if absent. */
async function ensureBucketV2(config: InfluxConfig): Promise<void> {
  const query = new URLSearchParams({ name: config.bucket, org: config.org })
  const found = (await expectOk(
    await request(config, `/api/v2/buckets?${query.toString()}`, { method: 'GET' }),
    'list buckets',
  )) as { buckets?: unknown[] }
  if ((found.buckets ?? []).length > 0) return
  const orgs = (await expectOk(
    await request(config, `/api/v2/orgs?${new URLSearchParams({ org: config.org }).toString()}`, {
      method: 'GET',
    }),
    'find org',
  )) as { orgs?: Array<{ id: string }> }
  const orgID = orgs.orgs?.[0]?.id
  if (!orgID) throw new PipelineError('INFLUX_SETUP_FAILED', `organisation "${config.org}" not found`)
  await expectOk(
    await request(config, '/api/v2/buckets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orgID, name: config.bucket, retentionRules: [] }),
    }),
    'create bucket',
  )
}
