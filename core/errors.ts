/**
 * Stable error codes. An operator greps logs and alerts for these, so a code is never renamed
 * or reused once released: retire it by leaving it here with a comment (fastify's FST_ERR_*).
 * Area prefixes: CFG config, KAFKA, INFLUX, GW gateway, STACK local stack, SINK alert sinks,
 * LIFECYCLE, RETRY, LOADTEST load tester, REPLAY replay and DLQ tools, WEB web console.
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
  'KAFKA_PRODUCER_FATAL',
  'KAFKA_BACKLOG_FULL',
  'KAFKA_PRODUCE_ABORTED',
  'KAFKA_NOT_COPARTITIONED',
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
  'STACK_SHAPE_MISMATCH',
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
  'REPLAY_LIVE_ALERTS_REFUSED',
  'REPLAY_GROUP_EXISTS',
  'REPLAY_INVALID_RANGE',
  'REPLAY_UNKNOWN_CHANNEL',
  'REPLAY_TARGET_MISMATCH',
  'DLQ_RECORD_NOT_FOUND',
  'WEB_BAD_REQUEST',
  'WEB_UNAUTHENTICATED',
  'WEB_FORBIDDEN',
  'WEB_LOGIN_LOCKED',
  'WEB_NOT_FOUND',
  'WEB_QUERY_FAILED',
  'WEB_COMMAND_FAILED',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]
/** The codes a ConfigError may carry (the compiler holds it to them): a process exits 78 on them. */
export const CONFIG_ERROR_CODES = [
  'CFG_INVALID',
  'CFG_FILE_UNREADABLE',
  'CFG_FILE_UNPARSABLE',
  'GW_REGISTRY_INVALID',
] as const satisfies readonly ErrorCode[]
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number]

/** What each code means to an operator (docs/errors.md is generated from this). */
export const ERROR_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  CFG_INVALID:
    'A configuration value is missing, of the wrong type or out of range; every problem is listed.',
  CFG_FILE_UNREADABLE: 'The configuration file named could not be read.',
  CFG_FILE_UNPARSABLE: 'The configuration file is not valid YAML or JSON, or not a mapping at the top.',
  KAFKA_CONNECT_FAILED: 'A Kafka client could not connect to the brokers.',
  KAFKA_PRODUCE_FAILED: 'librdkafka refused a record at produce time.',
  KAFKA_QUEUE_FULL: 'The local producer queue is full; the caller backs off and tries again.',
  KAFKA_DELIVERY_FAILED: 'The delivery report says a record was not written.',
  KAFKA_NOT_CONNECTED: 'A Kafka client was used before it connected or after it disconnected.',
  KAFKA_COMMIT_FAILED: 'Committing consumer offsets failed; the records will be consumed again.',
  KAFKA_ADMIN_FAILED: 'Creating, describing or deleting a topic failed.',
  KAFKA_TIMEOUT: 'A Kafka operation (flush, metadata, offsets) did not finish in time.',
  KAFKA_TRANSACTION_FAILED: 'A Kafka transaction (alerts and offsets together) could not be committed.',
  KAFKA_PRODUCER_FATAL:
    'librdkafka raised a fatal producer error (e.g. idempotence fenced); the producer is recreated and the record was not written.',
  KAFKA_BACKLOG_FULL:
    'Too many records wait for the producer (producer.maxWaiting); the record was refused unproduced and the publish is not acknowledged.',
  KAFKA_PRODUCE_ABORTED:
    'A record waiting for the producer was withdrawn unproduced (its MQTT connection closed before it was acknowledged).',
  KAFKA_NOT_COPARTITIONED:
    'The channels a stateful processor reads together have different partition counts (ADR 0014); it refuses to start.',
  INFLUX_UNAVAILABLE: 'InfluxDB did not answer (connection refused, timeout).',
  INFLUX_WRITE_FAILED: 'InfluxDB answered a write with an error.',
  INFLUX_QUERY_FAILED: 'InfluxDB answered a query with an error.',
  INFLUX_SETUP_FAILED: 'Creating or checking the database or bucket at start failed.',
  GW_REGISTRY_INVALID: 'The device registry file is not valid.',
  GW_REGISTRY_INVALID_ENTRY: 'A device registry entry is not valid.',
  GW_REGISTRY_UNKNOWN_DEVICE: 'The device is not in the registry.',
  GW_REGISTRY_DEVICE_EXISTS: 'A device with that id is already enrolled.',
  GW_REGISTRY_WRITE_FAILED: 'The device registry file could not be written.',
  STACK_PREREQUISITE_MISSING: 'Something the local stack needs (Java, Maven, a built file) is missing.',
  STACK_INSTALL_FAILED: 'Installing Kafka or InfluxDB for the local stack failed.',
  STACK_START_FAILED: 'A local stack server did not start or did not become ready in time.',
  STACK_PORT_IN_USE: 'A port the local stack needs is taken by another program.',
  STACK_STOP_FAILED: 'A local stack server did not stop.',
  STACK_SHAPE_MISMATCH:
    'The local stack runs another number of Kafka nodes than `stack up --brokers` asked for; stop it first.',
  SINK_DELIVERY_FAILED: 'A sink could not deliver an alert; another attempt may succeed.',
  SINK_DELIVERY_REJECTED: 'The sink’s target refused an alert for good (a 4xx); it is dead-lettered.',
  SINK_DELIVERY_TIMEOUT: 'A delivery attempt took longer than the sink’s timeout.',
  SINK_NOT_CONNECTED: 'The sink is not connected to its target (e.g. the MQTT gateway).',
  SINK_DEAD_LETTER_FAILED: 'An undeliverable alert could not be written to the dead-letter file.',
  LIFECYCLE_START_FAILED: 'A component of the process failed to start.',
  LIFECYCLE_STOP_TIMEOUT: 'A graceful stop took longer than shutdown.timeoutMs.',
  LIFECYCLE_COMPONENT_FAILED:
    'A component reported a fatal error without a code of its own; the service stops (exit 1).',
  RETRY_EXHAUSTED: 'An operation failed on every allowed attempt.',
  RETRY_ABORTED: 'Retrying stopped because the process is stopping.',
  LOADTEST_CONNECT_FAILED: 'The load tester could not connect its MQTT clients.',
  LOADTEST_TARGET_FAILED: 'A process under load test failed or could not be started.',
  REPLAY_LIVE_ALERTS_REFUSED:
    'A replay would re-evaluate telemetry into the live alerts.events.v1 (live sinks would see the same alert ids again); refused.',
  REPLAY_GROUP_EXISTS:
    'replay --to-group names a consumer group that already has committed offsets; only a new group is positioned.',
  REPLAY_INVALID_RANGE:
    'A replay or DLQ position (offset, timestamp, partition, device) is malformed or its end is before its start.',
  REPLAY_UNKNOWN_CHANNEL: 'The channel named to replay does not exist in Kafka, or has no partitions.',
  REPLAY_TARGET_MISMATCH:
    'The replay target cannot take this channel (storage takes telemetry.vitals/environment, an alert sink takes alerts.events.v1).',
  DLQ_RECORD_NOT_FOUND:
    'No DLQ record at the partition:offset given (out of range, or deleted by retention).',
  WEB_BAD_REQUEST: 'The web console refused a request whose parameters are invalid (400).',
  WEB_UNAUTHENTICATED: 'The web console needs a sign-in, or the user name or password is wrong (401).',
  WEB_FORBIDDEN: 'The signed-in user’s role may not do this (403: only clinicians act on alarms).',
  WEB_LOGIN_LOCKED:
    'Too many failed sign-ins for this user; sign-in is refused for sessions.lockoutMs (429).',
  WEB_NOT_FOUND: 'The web console has no such page, API or resource (404).',
  WEB_QUERY_FAILED: 'The web console could not read stored vitals from InfluxDB (503).',
  WEB_COMMAND_FAILED: 'The web console could not hand an alarm command to Kafka (503).',
}

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
    code: ConfigErrorCode = 'CFG_INVALID',
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
