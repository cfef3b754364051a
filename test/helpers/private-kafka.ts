import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { KafkaConfig } from '../../core/config/shared.js'
import { stackConfigSchema, stackPaths } from '../../deploy/local/config.js'
import { installKafka, kafkaProcess, startKafka } from '../../deploy/local/kafka.js'
import { stopByPid } from '../../core/process/pid-file.js'
import { repoRoot } from './cli.js'

export interface PrivateKafka {
  kafka: KafkaConfig
  start(): Promise<void>
  /** SIGTERM, as an operator or an orchestrator would stop it. */
  stop(): Promise<void>
  destroy(): Promise<void>
}

/**
 * A second single-node Kafka of the local stack (same jars, own ports and data), for fault
 * tests that stop the broker without disturbing the one the rest of the suite uses.
 */
export function privateKafka(name: string, port: number): PrivateKafka {
  const config = stackConfigSchema.parse({
    stateDir: join('.pulsewire', name),
    kafkaBroker: { port, controllerPort: port + 1, heapMb: 384 },
  })
  const paths = stackPaths(config, repoRoot)
  const quiet = (): void => undefined
  return {
    kafka: { brokers: `127.0.0.1:${port}`, clientId: 'pulsewire', librdkafka: {} },
    async start() {
      installKafka(paths, quiet)
      await startKafka(config, paths, quiet)
    },
    async stop() {
      await stopByPid(kafkaProcess(paths), 30_000)
    },
    async destroy() {
      await stopByPid(kafkaProcess(paths), 30_000)
      rmSync(paths.state, { recursive: true, force: true })
    },
  }
}
