import type { Logger } from 'pino'
import { ConfigError, PipelineError } from './errors.js'

/** Something that is started once and stopped once, in order (Telegraf Start/Stop, Benthos Connect/Close). */
export interface Component {
  readonly name: string
  /** Connects and begins work; rejects when the component cannot start. */
  start(): Promise<void>
  /** Drains in-flight work, then releases resources. Idempotent. */
  stop(): Promise<void>
}

/** Process exit codes (sysexits.h): 78 = EX_CONFIG. */
export const EXIT = { ok: 0, failure: 1, config: 78 } as const

/** Reports that a part of the service cannot go on (`source` names it: "alerting", "sink webhook"). */
export type FatalHandler = (source: string, err: unknown) => void

/**
 * What a composition root builds and hands to runService: its components, and where the
 * runner plugs in its fatal handler (the components exist before the runner does).
 */
export interface ServiceParts {
  logger: Logger
  components: readonly Component[]
  shutdownTimeoutMs: number
  setFatalHandler?: (handler: FatalHandler) => void
}

export interface ServiceRunner {
  /** Resolves with the exit code once the service has stopped. */
  readonly done: Promise<number>
  /** Requests a graceful stop (as SIGTERM would). */
  stop(reason: string): void
  /** A part cannot go on: logged once, everything stops in reverse order, exit code 1. */
  fatal: FatalHandler
}

export interface RunServiceOptions extends ServiceParts {
  /** Signals that trigger a graceful stop; tests pass [] to drive `stop()` themselves. */
  signals?: readonly NodeJS.Signals[]
  /** Called once with the first fatal error, after it is logged (`pulsewire up` prints a line for people). */
  onFatal?: (report: FatalReport) => void
}

export interface FatalReport {
  source: string
  code: string
  message: string
}

/** A handler slot that forwards to whatever is set later, for parts built before the runner. */
export function createFatalSlot(): { report: FatalHandler; set: (handler: FatalHandler) => void } {
  let target: FatalHandler | undefined
  const early: Array<[string, unknown]> = []
  return {
    report(source, err) {
      if (target) target(source, err)
      else early.push([source, err])
    },
    set(handler) {
      target = handler
      for (const [source, err] of early.splice(0)) handler(source, err)
    },
  }
}

/**
 * Starts components in order and stops them in reverse order on SIGINT/SIGTERM or on a
 * fatal error. A stop that exceeds the timeout is abandoned with a non-zero exit code.
 */
export function runService(options: RunServiceOptions): ServiceRunner {
  const { logger, components, shutdownTimeoutMs } = options
  const signals = options.signals ?? ['SIGINT', 'SIGTERM']
  const started: Component[] = []
  let stopRequested: ((reason: string) => void) | undefined
  const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve))
  let stopping = false
  let failed: FatalReport | undefined
  let resolveFatal: ((report: FatalReport) => void) | undefined
  const fatalSeen = new Promise<FatalReport>((resolve) => (resolveFatal = resolve))

  const onSignal = (signal: NodeJS.Signals): void => stopRequested?.(signal)
  for (const signal of signals) process.once(signal, onSignal)

  const fatal: FatalHandler = (source, err) => {
    if (failed) return // the first one is the cause; later ones are its consequences
    if (stopping) {
      // Parts that fail because the others are already stopping are not the cause of the stop.
      logger.warn({ component: source, err }, 'failed while stopping')
      return
    }
    const code = err instanceof PipelineError ? err.code : 'LIFECYCLE_COMPONENT_FAILED'
    const message = describe(err)
    failed = { source, code, message }
    logger.error({ component: source, code, err }, `${source} failed (${code}); stopping everything`)
    options.onFatal?.(failed)
    resolveFatal?.(failed)
    stopRequested?.(`${source} failed`)
  }
  options.setFatalHandler?.(fatal)

  async function stopAll(): Promise<boolean> {
    stopping = true
    let clean = true
    for (const component of [...started].reverse()) {
      try {
        await component.stop()
        logger.info({ component: component.name }, 'stopped')
      } catch (err) {
        clean = false
        logger.error({ component: component.name, err }, 'stop failed')
      }
    }
    return clean
  }

  async function withTimeout(work: Promise<boolean>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        logger.error({ timeoutMs: shutdownTimeoutMs, code: 'LIFECYCLE_STOP_TIMEOUT' }, 'shutdown timed out')
        resolve(false)
      }, shutdownTimeoutMs)
      timer.unref()
    })
    try {
      return await Promise.race([work, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  async function run(): Promise<number> {
    try {
      for (const component of components) {
        // A fatal error while a later component starts ends the start: that one may wait for
        // what just died (the stack, a consumer) forever. It is stopped too (stop is idempotent).
        const starting = component.start()
        const first = await Promise.race([starting.then(() => undefined), fatalSeen])
        started.push(component)
        if (first) {
          starting.catch(() => undefined)
          break
        }
        logger.info({ component: component.name }, 'started')
      }
    } catch (err) {
      logger.error({ err, code: errorCode(err) }, 'start failed')
      await withTimeout(stopAll())
      return err instanceof ConfigError ? EXIT.config : EXIT.failure
    }
    const reason = failed ? `${failed.source} failed` : await stopSignal
    logger.info({ reason }, 'stopping')
    const clean = await withTimeout(stopAll())
    return clean && !failed ? EXIT.ok : EXIT.failure
  }

  const done = run().finally(() => {
    for (const signal of signals) process.removeListener(signal, onSignal)
  })
  return { done, stop: (reason) => stopRequested?.(reason), fatal }
}

/** The error's message and its cause's (the cause says what Kafka or InfluxDB answered). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  // librdkafka's errors are plain objects with a message, not Error instances.
  const raw = (err.cause as { message?: unknown } | undefined)?.message
  const cause = typeof raw === 'string' ? raw : undefined
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message
}

function errorCode(err: unknown): string | undefined {
  return err instanceof PipelineError ? err.code : undefined
}
