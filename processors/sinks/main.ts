// `pulsewire alerts`: composition root of the alert sinks (wiring only).
import type { Logger } from 'pino'
import { systemClock } from '../../core/clock.js'
import { createFatalSlot, runService, type Component, type ServiceParts } from '../../core/lifecycle.js'
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

export interface BuiltSinks extends ServiceParts {
  config: SinksConfig
  service: SinksService
  components: Component[]
  /** A sink that cannot continue reports here (as "sinks"); the runner stops the process. */
  setFatalHandler: NonNullable<ServiceParts['setFatalHandler']>
}

/** Validates the configuration (throws ConfigError listing every problem) and builds the components. */
export function buildAlertSinks(options: BuildSinksOptions): BuiltSinks {
  let logger: Logger | undefined = options.logger
  const config = parseSinksConfig(options.raw, options.source, {
    env: options.env ?? process.env,
    clock: systemClock,
    logger: (log) => (logger ??= createLogger('alerts', log)),
  })
  // A failed sink stops the process, which resumes from committed offsets.
  const fatal = createFatalSlot()
  const service = createSinksService({
    config,
    logger: logger as Logger,
    registry: createMetricsRegistry('alerts'),
    clock: systemClock,
    onFatal: (err) => fatal.report('sinks', err),
  })
  return {
    config,
    logger: logger as Logger,
    service,
    components: service.components,
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    setFatalHandler: fatal.set,
  }
}

export function runAlertSinks(options: BuildSinksOptions): Promise<number> {
  return runService(buildAlertSinks(options)).done
}
