import { loadConfig } from '../../core/config/load.js'
import { stackConfigSchema, stackPaths } from '../../deploy/local/config.js'
import { influxProcess } from '../../deploy/local/influxdb.js'
import { kafkaProcess } from '../../deploy/local/kafka.js'
import { runningPid } from '../../core/process/pid-file.js'
import type { LoadTargetProcess } from './target.js'

/**
 * The local stack's Kafka broker and InfluxDB, by their PID files, when a target uses them:
 * measured like the target's own processes, with a note that they are shared. The stack's
 * settings come from the same file and environment as `pulsewire stack` (the test command
 * runs its own stack under PULSEWIRE__STATE_DIR, for instance).
 */
export function localStackProcesses(options: {
  root: string
  env: NodeJS.ProcessEnv
  kafkaBrokers: string
  influxUrl: string
}): { processes: LoadTargetProcess[]; notes: string[] } {
  const config = loadConfig({
    schema: stackConfigSchema,
    file: options.env.PULSEWIRE_STACK_CONFIG,
    env: options.env,
  })
  const paths = stackPaths(config, options.root)
  const processes: LoadTargetProcess[] = []
  const notes: string[] = []
  const local = (address: string, port: number): boolean =>
    address.includes(`127.0.0.1:${port}`) || address.includes(`localhost:${port}`)
  const check = (name: string, address: string, port: number, pid: number | undefined): void => {
    if (!local(address, port)) notes.push(`${name} not measured: ${address} is not the local stack`)
    else if (pid === undefined) notes.push(`${name} not measured: no PID file under ${paths.pids}`)
    else {
      processes.push({ name, pid })
      notes.push(`${name}: the local stack's, shared; its CPU includes every other client's work`)
    }
  }
  check('kafka', options.kafkaBrokers, config.kafkaBroker.port, runningPid(kafkaProcess(paths)))
  check('influxdb', options.influxUrl, config.influxdbServer.port, runningPid(influxProcess(paths)))
  return { processes, notes }
}
