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

export interface ServiceRunner {
  /** Resolves with the exit code once the service has stopped. */
  readonly done: Promise<number>
  /** Requests a graceful stop (as SIGTERM would). */
  stop(reason: string): void
}

export interface RunServiceOptions {
  logger: Logger
  components: readonly Component[]
  shutdownTimeoutMs: number
  /** Signals that trigger a graceful stop; tests pass [] to drive `stop()` themselves. */
  signals?: readonly NodeJS.Signals[]
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

  const onSignal = (signal: NodeJS.Signals): void => stopRequested?.(signal)
  for (const signal of signals) process.once(signal, onSignal)

  async function stopAll(): Promise<boolean> {
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
        await component.start()
        started.push(component)
        logger.info({ component: component.name }, 'started')
      }
    } catch (err) {
      logger.error({ err, code: errorCode(err) }, 'start failed')
      await withTimeout(stopAll())
      return err instanceof ConfigError ? EXIT.config : EXIT.failure
    }
    const reason = await stopSignal
    logger.info({ reason }, 'stopping')
    const clean = await withTimeout(stopAll())
    return clean ? EXIT.ok : EXIT.failure
  }

  const done = run().finally(() => {
    for (const signal of signals) process.removeListener(signal, onSignal)
  })
  return { done, stop: (reason) => stopRequested?.(reason) }
}

function errorCode(err: unknown): string | undefined {
  return err instanceof PipelineError ? err.code : undefined
}
