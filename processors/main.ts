// `pulsewire processors`: composition root of the storage and alerting consumer groups (wiring only).
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import { systemClock } from '../core/clock.js'
import { loadConfig } from '../core/config/load.js'
import { createFatalSlot, runService, type Component, type ServiceParts } from '../core/lifecycle.js'
import { createLogger } from '../core/log.js'
import { createMetricsRegistry } from '../core/metrics.js'
import { alertingConfigSchema } from './alerting/config.js'
import { loadRuleSet } from './alerting/rules/rule-set.js'
import { createAlertingService } from './alerting/service.js'
import { storageConfigSchema } from './storage/config.js'
import { createStorageService } from './storage/service.js'

export type ProcessorName = 'storage' | 'alerting'

export interface ProcessorOptions {
  only?: ProcessorName | undefined
  storageConfigFile?: string | undefined
  alertingConfigFile?: string | undefined
  env?: NodeJS.ProcessEnv
}

export interface BuiltProcessors extends ServiceParts {
  components: Component[]
  /** A pipeline that cannot continue reports here (as "storage" or "alerting"); the runner stops the process. */
  setFatalHandler: NonNullable<ServiceParts['setFatalHandler']>
}

/**
 * Storage and alerting are separate consumer groups with separate clients, metrics and HTTP
 * ports, so an InfluxDB outage never delays an alarm; running them in one process is only a
 * deployment convenience (`--only` splits them).
 */
export function buildProcessors(options: ProcessorOptions): BuiltProcessors {
  const env = options.env ?? process.env
  const components: Component[] = []
  // A failed pipeline stops the process, which restarts from committed offsets.
  const fatal = createFatalSlot()
  let logger: Logger | undefined
  let shutdownTimeoutMs = 15_000
  if (options.only !== 'alerting') {
    const config = loadConfig({ schema: storageConfigSchema, file: options.storageConfigFile, env })
    logger ??= createLogger('processors', config.log)
    shutdownTimeoutMs = Math.max(shutdownTimeoutMs, config.shutdown.timeoutMs)
    const service = createStorageService({
      config,
      logger: logger.child({ processor: 'storage' }),
      registry: createMetricsRegistry('storage'),
      clock: systemClock,
      onFatal: (err) => fatal.report('storage', err),
    })
    components.push(...service.components)
  }
  if (options.only !== 'storage') {
    const config = loadConfig({ schema: alertingConfigSchema, file: options.alertingConfigFile, env })
    logger ??= createLogger('processors', config.log)
    shutdownTimeoutMs = Math.max(shutdownTimeoutMs, config.shutdown.timeoutMs)
    const service = createAlertingService({
      config,
      ruleSet: loadRuleSet(resolve(config.rulesFile)),
      logger: logger.child({ processor: 'alerting' }),
      registry: createMetricsRegistry('alerting'),
      clock: systemClock,
      onFatal: (err) => fatal.report('alerting', err),
    })
    components.push(...service.components)
  }
  return {
    logger: logger as Logger,
    shutdownTimeoutMs,
    components,
    setFatalHandler: fatal.set,
  }
}

export function runProcessors(options: ProcessorOptions): Promise<number> {
  return runService(buildProcessors(options)).done
}
