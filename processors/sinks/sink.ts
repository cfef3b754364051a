import type { z } from 'zod'
import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { Clock } from '../../core/clock.js'
import { ConfigError, PipelineError, type ConfigIssue } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import type { PluginType } from '../../core/plugins/plugin-list.js'

/** What the runner tells a sink about one delivery attempt. */
export interface DeliveryContext {
  /** 1 for the first attempt of this event. */
  attempt: number
  /** The dedupe key (alertId/transition/eventTsMs): the same on every attempt and every redelivery. */
  idempotencyKey: string
  /** Aborted when the attempt times out or the process stops: cancel the I/O in progress. */
  signal: AbortSignal
}

/**
 * One alert sink. Holds only its own delivery logic: the runner (runner.ts) owns retries, timeouts,
 * dedupe, dead letters, metrics and offset commits, the same way for every sink.
 */
export interface Sink {
  /**
   * Resolves once the event is delivered. Rejects with a PipelineError: `retriable: true` when
   * another attempt may succeed (5xx, timeout, not connected), false when it never will (4xx).
   */
  deliver(event: AlertEvent, ctx: DeliveryContext): Promise<void>
  /** Connects (no I/O in `create`). */
  start?(): Promise<void>
  /** Drains and closes. Idempotent. */
  stop?(): Promise<void>
  /** Called after each batch, before its offsets are committed (e.g. fsync a file). */
  flush?(): Promise<void>
  /**
   * A sink that keeps state across events (the MQTT sink's active alerts per device) declares
   * this: at start, the runner replays the channel up to the group's committed offsets through it
   * before delivering anything new.
   */
  restore?(event: AlertEvent): void
  /** A reason when the sink cannot deliver right now (readiness), undefined when it can. */
  health?(): string | undefined
}

export interface SinkDeps {
  /** The configured sink name (unique per process; labels metrics, names files and groups). */
  name: string
  logger: Logger
  clock: Clock
  /** The process environment, for secrets named in the config (`secretEnv`). */
  env: Readonly<Record<string, string | undefined>>
}

/** A sink type: `type` is kebab-case and equals its folder name under sinks/ (conventions §1). */
export interface SinkPlugin<C> {
  readonly type: string
  readonly summary: string
  /** A strict object, every field `.describe()`d; validated once when the config loads. */
  readonly configSchema: z.ZodType<C>
  /** Validates and allocates, never does I/O; throws `sinkConfigError` for problems the schema cannot see. */
  create(config: C, deps: SinkDeps): Sink
}

/**
 * A plugin with its config type erased, so the registry can be a plain array. The one list parser
 * (`core/plugins/plugin-list.ts`) validates an entry with `configSchema`; `create` takes that output.
 */
export interface RegisteredSink extends PluginType {
  create(config: unknown, deps: SinkDeps): { ok: true; sink: Sink } | { ok: false; issues: ConfigIssue[] }
}

export function defineSink<C>(plugin: SinkPlugin<C>): RegisteredSink {
  return {
    type: plugin.type,
    summary: plugin.summary,
    configSchema: plugin.configSchema,
    create(config, deps) {
      try {
        // Only ever called with this plugin's configSchema output (see RegisteredSink).
        return { ok: true, sink: plugin.create(config as C, deps) }
      } catch (err) {
        if (err instanceof ConfigError) return { ok: false, issues: [...err.issues] }
        throw err
      }
    },
  }
}

/** A problem only `create` can see (a secret named by `secretEnv` is not set). */
export const sinkConfigError = (path: string, message: string): ConfigError =>
  new ConfigError('sink', [{ path, message }])

/** A secret given in the config, or else read from the environment variable the config names. */
export function resolveSecret(
  config: { secret?: string | undefined; secretEnv?: string | undefined },
  env: SinkDeps['env'],
  what: string,
): string {
  const secret = config.secret ?? env[config.secretEnv ?? '']
  if (!secret)
    throw sinkConfigError('secretEnv', `environment variable ${config.secretEnv} is not set (${what})`)
  return secret
}

/** Another attempt may succeed: 5xx, 408/429, refused connection, broker not connected. */
export const retriableFailure = (message: string, cause?: unknown): PipelineError =>
  new PipelineError('SINK_DELIVERY_FAILED', message, { cause, retriable: true })

/** No attempt will ever succeed (a 4xx other than 408/429): dead-lettered at once. */
export const permanentFailure = (message: string, cause?: unknown): PipelineError =>
  new PipelineError('SINK_DELIVERY_REJECTED', message, { cause, retriable: false })
