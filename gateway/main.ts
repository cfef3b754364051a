// `pulsewire gateway`: composition root of the MQTT gateway (wiring only).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { systemClock } from '../core/clock.js'
import { loadConfig } from '../core/config/load.js'
import { ConfigError } from '../core/errors.js'
import { createFatalSlot, runService, type Component, type ServiceParts } from '../core/lifecycle.js'
import { createLogger } from '../core/log.js'
import { createMetricsRegistry } from '../core/metrics.js'
import { gatewayConfigSchema, type GatewayConfig } from './config.js'
import { createDeviceStore } from './device-store/device-store.js'
import { createFileDeviceStoreSource } from './device-store/device-store-file.js'
import { createDeviceStoreWatcher } from './device-store/device-store-watcher.js'
import { createGatewayService } from './service.js'

/** Its one part that gives up: a producer replaced after a fatal error whose replacement never starts. */
export interface BuiltGateway extends ServiceParts {
  config: GatewayConfig
  components: Component[]
}

/** Loads and validates the configuration and builds the components (no I/O until started). */
export function buildGateway(
  configFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): BuiltGateway {
  const config = loadConfig({ schema: gatewayConfigSchema, file: configFile, env })
  const storeFile = resolve(config.registry.file)
  if (!existsSync(storeFile)) {
    throw new ConfigError(configFile ?? 'defaults', [
      {
        path: 'registry.file',
        message: `${storeFile} does not exist; enrol devices with "pulsewire devices add|provision"`,
      },
    ])
  }
  const logger = createLogger('gateway', config.log)
  const devices = createDeviceStore({ source: createFileDeviceStoreSource(storeFile) })
  const watcher = createDeviceStoreWatcher({
    store: devices,
    intervalMs: config.registry.reloadIntervalMs,
    onReload: () => logger.info({ devices: devices.list().length }, 'device store reloaded'),
    onError: (err) => logger.error({ err }, 'device store unreadable; keeping the previous one'),
  })
  const fatal = createFatalSlot()
  const service = createGatewayService({
    onFatal: fatal.report,
    config,
    directory: devices,
    logger,
    metrics: createMetricsRegistry('gateway'),
    clock: systemClock,
  })
  const ready: Component = {
    name: 'ready',
    start: () => {
      logger.info(
        { listeners: service.listeners.bound(), http: service.http.address()?.port },
        'gateway ready',
      )
      return Promise.resolve()
    },
    stop: () => Promise.resolve(),
  }
  return {
    config,
    logger,
    components: [watcher, ...service.components, ready],
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    setFatalHandler: fatal.set,
  }
}

export function runGateway(options: { configFile?: string | undefined }): Promise<number> {
  return runService(buildGateway(options.configFile)).done
}
