/**
 * Stable error codes. An operator greps logs and alerts for these, so a code is never renamed
 * or reused once released: retire it by leaving it here with a comment (fastify's FST_ERR_*).
 * Area prefixes: CFG config, KAFKA, INFLUX, GW gateway, STACK local stack, SINK alert sinks,
 * LIFECYCLE, RETRY, LOADTEST load tester.
 */
export const ERROR_CODES = [
  'CFG_INVALID',
  'CFG_FILE_UNREADABLE',
  'CFG_FILE_UNPARSABLE',
  'KAFKA_CONNECT_FAILED',
  'KAFKA_PRODUCE_FAILED',
  'KAFKA_QUEUE_FULL',
  'KAFKA_DELIVERY_FAILED',
  'KAFKA_NOT_CONNECTED',
  'KAFKA_COMMIT_FAILED',
  'KAFKA_ADMIN_FAILED',
  'KAFKA_TIMEOUT',
  'KAFKA_TRANSACTION_FAILED',
  'INFLUX_UNAVAILABLE',
  'INFLUX_WRITE_FAILED',
  'INFLUX_QUERY_FAILED',
  'INFLUX_SETUP_FAILED',
  'GW_REGISTRY_INVALID',
  'GW_REGISTRY_INVALID_ENTRY',
  'GW_REGISTRY_UNKNOWN_DEVICE',
  'GW_REGISTRY_DEVICE_EXISTS',
  'GW_REGISTRY_WRITE_FAILED',
  'STACK_PREREQUISITE_MISSING',
  'STACK_INSTALL_FAILED',
  'STACK_START_FAILED',
  'STACK_PORT_IN_USE',
  'STACK_STOP_FAILED',
  'SINK_DELIVERY_FAILED',
  'SINK_DELIVERY_REJECTED',
  'SINK_DELIVERY_TIMEOUT',
  'SINK_NOT_CONNECTED',
  'SINK_DEAD_LETTER_FAILED',
  'LIFECYCLE_START_FAILED',
  'LIFECYCLE_STOP_TIMEOUT',
  'LIFECYCLE_COMPONENT_FAILED',
  'RETRY_EXHAUSTED',
  'RETRY_ABORTED',
  'LOADTEST_CONNECT_FAILED',
  'LOADTEST_TARGET_FAILED',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface PipelineErrorOptions {
  cause?: unknown
  /** True when the same operation may succeed if tried again (a broker restarting, a 503). */
  retriable?: boolean
  /** Structured facts for logs; never patient-identifying data. */
  context?: Record<string, unknown>
}

/** The one error type that crosses component boundaries: a stable code, retriability and a cause. */
export class PipelineError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly context: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'PipelineError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.context = options.context ?? {}
  }
}

/** One problem in a configuration, located by its path (`kafka.brokers`, `influx.url`). */
export interface ConfigIssue {
  path: string
  message: string
}

/** Bad configuration: every problem at once, so an operator fixes them in one edit. */
export class ConfigError extends PipelineError {
  readonly issues: readonly ConfigIssue[]
  readonly source: string

  constructor(
    source: string,
    issues: readonly ConfigIssue[],
    code: ErrorCode = 'CFG_INVALID',
    cause?: unknown,
  ) {
    super(code, formatConfigIssues(source, issues), { cause, context: { source } })
    this.name = 'ConfigError'
    this.issues = issues
    this.source = source
  }
}

export function formatConfigIssues(source: string, issues: readonly ConfigIssue[]): string {
  const noun = issues.length === 1 ? 'problem' : 'problems'
  const lines = issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`)
  return [`invalid configuration (${source}): ${issues.length} ${noun}`, ...lines].join('\n')
}

/** Programmer errors are never retried: retrying a TypeError only repeats the bug. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof PipelineError) return err.retriable
  return false
}
