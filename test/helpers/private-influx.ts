import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { influxSchema, type InfluxConfig } from '../../core/config/shared.js'
import { stackConfigSchema, stackPaths } from '../../deploy/local/config.js'
import { influxProcess, installInfluxdb, startInfluxdb } from '../../deploy/local/influxdb.js'
import { stopByPid } from '../../core/process/pid-file.js'
import { repoRoot } from './cli.js'

export interface PrivateInflux {
  /** Client settings for this server (bucket "telemetry/autogen"; override it per test). */
  influx: InfluxConfig
  start(): Promise<void>
  /** SIGTERM, as an operator or an orchestrator would stop it. */
  stop(): Promise<void>
  destroy(): Promise<void>
}

/**
 * A second InfluxDB of the local stack (same binary, own ports and data), for fault tests that
 * stop the server without disturbing the one the rest of the suite uses.
 */
export function privateInflux(name: string, port: number): PrivateInflux {
  const config = stackConfigSchema.parse({
    stateDir: join('.pulsewire', name),
    influxdbServer: { port, rpcPort: port + 2 },
  })
  const paths = stackPaths(config, repoRoot)
  const quiet = (): void => undefined
  return {
    influx: influxSchema.parse({ url: `http://127.0.0.1:${port}`, timeoutMs: 3_000 }),
    async start() {
      installInfluxdb(paths, quiet)
      await startInfluxdb(config, paths, quiet)
    },
    async stop() {
      await stopByPid(influxProcess(paths), 30_000)
    },
    async destroy() {
      await stopByPid(influxProcess(paths), 30_000)
      rmSync(paths.state, { recursive: true, force: true })
    },
  }
}
