// `pulsewire alerts`: composition root of the alert sinks (wiring only).
import type { Logger } from 'pino'
import { systemClock } from '../../core/clock.js'
import { runService, type Component } from '../../core/lifecycle.js'
import { createLogger } from '../../core/log.js'
import { createMetricsRegistry } from '../../core/metrics.js'
import { parseSinksConfig, type SinksConfig } from './config.js'
import { createSinksService, type SinksService } from './service.js'

export interface BuildSinksOptions {
  /** The configuration as one object (a YAML file merged with command-line sinks). */
  raw: unknown
  /** Where it came from, for error messages (`deploy/sinks/example.yaml`, `command line`). */
  source: string
  env?: NodeJS.ProcessEnv
  /** A logger for the sinks instead of one built from `log` (pulsewire up keeps its own). */
  logger?: Logger
}

export interface BuiltSinks {
  config: SinksConfig
  logger: Logger
  service: SinksService
  components: Component[]
  /** Requests a stop when a sink cannot continue (wired by the caller to runService). */
  setFatalHandler(handler: (err: unknown) => void): void
}

/** Validates the configuration (throws ConfigError listing every problem) and builds the components. */
export function buildAlertSinks(options: BuildSinksOptions): BuiltSinks {
  let logger: Logger | undefined = options.logger
  const config = parseSinksConfig(options.raw, options.source, {
    env: options.env ?? process.env,
    clock: systemClock,
    logger: (log) => (logger ??= createLogger('alerts', log)),
  })
  let fatal: (err: unknown) => void = () => undefined
  const service = createSinksService({
    config,
    logger: logger as Logger,
    registry: createMetricsRegistry('alerts'),
    clock: systemClock,
    onFatal: (err) => fatal(err),
  })
  return {
    config,
    logger: logger as Logger,
    service,
    components: service.components,
    setFatalHandler: (handler) => (fatal = handler),
  }
}

export async function runAlertSinks(options: BuildSinksOptions): Promise<number> {
  const built = buildAlertSinks(options)
  const runner = runService({
    logger: built.logger,
    components: built.components,
    shutdownTimeoutMs: built.config.shutdown.timeoutMs,
  })
  let failed = false
  built.setFatalHandler((err) => {
    failed = true
    built.logger.error({ err }, 'a sink stopped; shutting down to resume from committed offsets')
    runner.stop('sink failure')
  })
  const code = await runner.done
  return failed ? 1 : code
}
