import type { Command } from 'commander'
import { z } from 'zod'
import { applyEnvOverrides, zodIssuesToConfigIssues } from '../../core/config/load.js'
import { influxSchema, type InfluxConfig } from '../../core/config/shared.js'
import { ConfigError, PipelineError, type ConfigIssue } from '../../core/errors.js'
import { createInfluxAdapter } from '../../core/influx/client.js'
import { MIN_CHART_HEIGHT, MIN_CHART_WIDTH } from '../../core/influx/query/chart.js'
import { chartResult } from '../../core/influx/query/chart-result.js'
import { fluxQuery, fluxTextProblem } from '../../core/influx/query/flux.js'
import { OUTPUT_FORMATS, formatResult, type OutputFormat } from '../../core/influx/query/format.js'
import {
  AGGREGATE_FNS,
  DEFAULT_START,
  GROUP_BYS,
  METRIC_FAMILIES,
  parseQuerySpec,
  type QuerySpec,
} from '../../core/influx/query/query-spec.js'
import { runQuery } from '../../core/influx/query/run-query.js'
import { boundText, parseDuration, printable } from '../../core/influx/query/time-bounds.js'

interface QueryOptions {
  device?: string[]
  subject?: string[]
  site?: string
  metric?: string[]
  since?: string
  start?: string
  stop?: string
  every?: string
  fn?: string
  groupBy?: string
  format: string
  limit?: string
  quality?: boolean
  chart?: boolean
  width?: string
  height?: string
  flux?: boolean
  influxUrl?: string
  bucket?: string
  org?: string
  token?: string
  flavor?: string
}

const SOURCE = 'pulsewire query'

const EXAMPLES = `
Examples:
  $ pulsewire query --device bed-01 --metric heart_rate spo2 --since 15m
  $ pulsewire query --device bed-01 bed-02 --metric heart_rate --since 6h --every 5m --fn median
  $ pulsewire query --subject s-7f3a --metric vitals --start 2024-05-01T08:00:00Z --stop 2024-05-01T12:00:00Z --every 1m
  $ pulsewire query --site ward-3 --metric ambient_temperature --since 1d --every 1h --group-by site --format csv
  $ pulsewire query --device bed-01 --metric heart_rate --since 5m --quality --format json
  $ pulsewire query --device bed-01 --since 1h --every 1m --flux     # print the Flux, run nothing
  $ pulsewire query --device bed-01 --metric spo2 heart_rate --since 30m --chart
  $ pulsewire query --site ward-3 --metric heart_rate --since 6h --every 5m --fn min --chart --width 100

Times: relative to now (15m, -2h, 7d) or ISO-8601 with a zone (2024-05-01T10:00:00Z, 2024-05-01).
Windows are aligned to the clock; a row is labelled with its window's start, and the first
window starts where the range does, so it may be partial. Without --metric, every metric with
data is shown. InfluxDB settings also come from PULSEWIRE__INFLUX__URL, __BUCKET, __ORG,
__TOKEN (prefer it to --token, which other users can see in the process list) and __FLAVOR.
`

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('Time series from InfluxDB without writing Flux: raw readings or windowed aggregates.')
    .option('-d, --device <id...>', 'device ids')
    .option('--subject <id...>', 'pseudonymous subject ids')
    .option('-s, --site <site>', 'a site or ward label')
    .option(
      '-m, --metric <name...>',
      `metrics (space or comma separated), or a family: ${METRIC_FAMILIES.join(', ')}`,
    )
    .option('--since <duration>', `start, relative to now (default ${DEFAULT_START.slice(1)})`)
    .option('--start <time>', 'start: relative (-2h) or absolute (ISO-8601)')
    .option('--stop <time>', 'stop: relative, absolute or "now" (default now)')
    .option('--every <duration>', 'aggregate window, e.g. 30s, 1m, 1h')
    .option('--fn <fn>', `aggregate function with --every: ${AGGREGATE_FNS.join('|')} (default mean)`)
    .option('--group-by <key>', `series per ${GROUP_BYS.join('|')} with --every (default device)`)
    .option('-f, --format <format>', OUTPUT_FORMATS.join('|'), 'table')
    .option('--limit <n>', 'at most n rows per series')
    .option('--quality', "add each reading's quality (raw readings only)")
    .option('--chart', 'draw a terminal line chart per series and metric instead of a table')
    .option('--width <columns>', 'chart width, labels included (default: the terminal width)')
    .option('--height <rows>', 'chart height in rows (default 10)')
    .option('--flux', 'print the generated Flux query and exit without running it')
    .option('--influx-url <url>', 'InfluxDB base URL (default http://127.0.0.1:18086)')
    .option('--bucket <bucket>', 'bucket, or "database/retention-policy" for v1 (default telemetry/autogen)')
    .option('--org <org>', 'organisation (v2 only)')
    .option('--token <token>', 'API token (v2) or user:password (v1)')
    .option('--flavor <flavor>', 'v1 (InfluxDB 1.8) or v2 (default v1)')
    .addHelpText('after', EXAMPLES)
    .action(async (options: QueryOptions) => {
      const { spec, format, influx, chart } = validate(options)
      const flux = fluxQuery(spec, influx.bucket)
      if (options.flux) {
        process.stdout.write(flux)
        return
      }
      const result = await runQuery(createInfluxAdapter(influx), spec, influx.bucket).catch(
        (err: unknown) => {
          throw explained(err, influx)
        },
      )
      process.stdout.write(
        chart
          ? chartResult(result, {
              ...chart,
              window: spec.window ? `${spec.window.fn} per ${spec.window.every.flux}` : undefined,
              emptyMessage: emptyMessage(spec),
            })
          : formatResult(result, format, { emptyMessage: emptyMessage(spec) }),
      )
      if (result.truncated)
        process.stderr.write(`note: a series reached --limit ${spec.limit}; later rows were not fetched\n`)
    })
}

const FLAGS: Readonly<Record<string, string>> = {
  devices: '--device',
  subjects: '--subject',
  site: '--site',
  selector: '--device/--subject/--site',
  metrics: '--metric',
  stop: '--stop',
  every: '--every',
  fn: '--fn',
  groupBy: '--group-by',
  limit: '--limit',
  includeQuality: '--quality',
  'influx.url': '--influx-url',
  'influx.bucket': '--bucket',
  'influx.org': '--org',
  'influx.token': '--token',
  'influx.flavor': '--flavor',
}

/** Every problem of the command line at once, named by its flag, as one ConfigError (exit 78). */
function validate(options: QueryOptions): {
  spec: QuerySpec
  format: OutputFormat
  influx: InfluxConfig
  chart: ChartSize | undefined
} {
  const issues: ConfigIssue[] = []
  const chart = chartOptions(options, issues)
  if (options.since !== undefined && options.start !== undefined)
    issues.push({ path: '--since/--start', message: 'give one of them: both set the start' })
  const startFlag = options.since !== undefined ? '--since' : '--start'
  const spec = parseQuerySpec({
    devices: options.device,
    subjects: options.subject,
    site: options.site,
    metrics: options.metric?.flatMap((m) => m.split(',')).filter((m) => m !== ''),
    start: options.since !== undefined ? relativeToNow(options.since) : relativeToNow(options.start),
    stop: relativeToNow(options.stop),
    every: options.every,
    fn: options.fn,
    groupBy: options.groupBy,
    limit:
      options.limit === undefined ? undefined : /^\d{1,9}$/.test(options.limit) ? Number(options.limit) : NaN,
    includeQuality: options.quality,
  })
  if (!spec.ok) issues.push(...spec.issues.map((i) => renamed(i, { start: startFlag })))

  const format = z.enum(OUTPUT_FORMATS).safeParse(options.format)
  if (!format.success)
    issues.push({ path: '--format', message: `expected one of ${OUTPUT_FORMATS.join(', ')}` })

  const influx = influxOptions(options)
  if (!influx.ok) issues.push(...influx.issues.map((i) => renamed(i)))

  if (issues.length > 0 || !spec.ok || !format.success || !influx.ok) throw new ConfigError(SOURCE, issues)
  return { spec: spec.spec, format: format.data, influx: influx.config, chart }
}

interface ChartSize {
  width: number
  height: number
}

/** --chart's size; the flags that cannot go with a chart are named as issues. */
function chartOptions(options: QueryOptions, issues: ConfigIssue[]): ChartSize | undefined {
  if (!options.chart) {
    for (const flag of ['width', 'height'] as const)
      if (options[flag] !== undefined)
        issues.push({ path: `--${flag}`, message: 'applies only with --chart' })
    return undefined
  }
  if (options.format !== 'table')
    issues.push({
      path: '--chart',
      message: `draws for a terminal and cannot be written as ${options.format}: leave out --chart or --format`,
    })
  if (options.quality) issues.push({ path: '--quality', message: 'has no chart: leave it out with --chart' })
  const size = (text: string | undefined, flag: string, min: number, fallback: number): number => {
    if (text === undefined) return fallback
    const n = /^\d{1,4}$/.test(text) ? Number(text) : NaN
    if (!(n >= min && n <= 1000))
      issues.push({ path: flag, message: `expected a whole number from ${min} to 1000` })
    return n
  }
  return {
    width: size(
      options.width,
      '--width',
      MIN_CHART_WIDTH,
      Math.max(MIN_CHART_WIDTH, process.stdout.columns || 80),
    ),
    height: size(options.height, '--height', MIN_CHART_HEIGHT, 10),
  }
}

/** `2h` and `-2h` both mean two hours ago; anything else is passed on as given. */
function relativeToNow(text: string | undefined): string | undefined {
  return text !== undefined && parseDuration(text) ? `-${text}` : text
}

function renamed(issue: ConfigIssue, extra: Readonly<Record<string, string>> = {}): ConfigIssue {
  const exact = extra[issue.path] ?? FLAGS[issue.path]
  if (exact) return { ...issue, path: exact }
  const [head = '', index] = issue.path.split('.')
  const flag = extra[head] ?? FLAGS[head]
  if (!flag) return issue
  return {
    ...issue,
    path: index !== undefined && /^\d+$/.test(index) ? `${flag} #${Number(index) + 1}` : flag,
  }
}

type InfluxResult = { ok: true; config: InfluxConfig } | { ok: false; issues: ConfigIssue[] }

/** Flags over PULSEWIRE__INFLUX__* over defaults, validated by the same schema the processors use. */
function influxOptions(options: QueryOptions): InfluxResult {
  const fromEnv = applyEnvOverrides({}, process.env, new Set(['influx'])).influx
  const flags = Object.fromEntries(
    Object.entries({
      url: options.influxUrl,
      bucket: options.bucket,
      org: options.org,
      token: options.token,
      flavor: options.flavor,
    }).filter(([, value]) => value !== undefined),
  )
  const base = typeof fromEnv === 'object' && fromEnv !== null ? fromEnv : {}
  const parsed = influxSchema.safeParse({ ...base, ...flags })
  if (!parsed.success) {
    const issues = zodIssuesToConfigIssues(parsed.error.issues).map((i) => ({
      ...i,
      path: `influx.${i.path}`,
    }))
    return { ok: false, issues }
  }
  const bucketProblem = fluxTextProblem(parsed.data.bucket)
  if (bucketProblem) return { ok: false, issues: [{ path: 'influx.bucket', message: bucketProblem }] }
  return { ok: true, config: parsed.data }
}

/** Says what to check: the server (unreachable) or the bucket (a v1 database that is missing). */
function explained(err: unknown, influx: InfluxConfig): unknown {
  if (!(err instanceof PipelineError)) return err
  if (err.code === 'INFLUX_UNAVAILABLE')
    return new PipelineError(
      'INFLUX_UNAVAILABLE',
      `cannot reach InfluxDB at ${influx.url}; is it running? (pulsewire stack status)`,
      { cause: err.cause ?? err, retriable: true },
    )
  if (err.code === 'INFLUX_QUERY_FAILED' && /no database|bucket .* not found/i.test(err.message))
    return new PipelineError(
      'INFLUX_QUERY_FAILED',
      `bucket "${printable(influx.bucket)}" does not exist on ${influx.url}`,
      { cause: err.cause ?? err, context: err.context },
    )
  return err
}

function emptyMessage(spec: QuerySpec): string {
  const noun = { device_id: 'device', subject: 'subject', site: 'site' }[spec.selector.tag]
  const who = spec.selector.values.map((v) => `"${printable(v)}"`).join(', ')
  const plural = spec.selector.values.length > 1 ? 's' : ''
  return `no data for ${noun}${plural} ${who} from ${boundText(spec.start)} to ${boundText(spec.stop)}`
}
