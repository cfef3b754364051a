// `pulsewire web`: composition root of the central-station console (wiring only).
import type { Logger } from 'pino'
import { createFatalSlot, runService, type ServiceParts } from '../../core/lifecycle.js'
import { createLogger } from '../../core/log.js'
import { createMetricsRegistry } from '../../core/metrics.js'
import { loadWebConfig, type WebConfig } from './config.js'
import { createWebService, type WebService } from './service.js'

export interface BuildWebOptions {
  configFile?: string | undefined
  env?: NodeJS.ProcessEnv
  logger?: Logger
}

export interface BuiltWeb extends ServiceParts {
  config: WebConfig
  service: WebService
  setFatalHandler: NonNullable<ServiceParts['setFatalHandler']>
}

export function buildWeb(options: BuildWebOptions = {}): BuiltWeb {
  const config = loadWebConfig(options.configFile, options.env ?? process.env)
  const logger = options.logger ?? createLogger('web', config.log)
  const fatal = createFatalSlot()
  const service = createWebService(config, logger, createMetricsRegistry('web'), (err) =>
    fatal.report('web', err),
  )
  return {
    config,
    logger,
    service,
    components: service.components,
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    setFatalHandler: fatal.set,
  }
}

export function runWeb(options: BuildWebOptions = {}): Promise<number> {
  return runService(buildWeb(options)).done
}
