import { resolve } from 'node:path'
import { z } from 'zod'
import { prometheusSchema } from './prometheus-config.js'

/**
 * The local stack: real Apache Kafka (KRaft, one node or three) and InfluxDB 1.8 with the v2 API,
 * installed from package registries and bound to 127.0.0.1. Versions are pinned here and
 * nowhere else.
 */
export const STACK_VERSIONS = {
  kafka: '4.1.1',
  /** Must equal the log4j-core version that kafka_2.13 pulls in (local-services.md, "the trap"). */
  log4j: '2.24.3',
  influxdb: '1.8.10',
  mavenDependencyPlugin: '3.6.1',
} as const

export const stackConfigSchema = z.strictObject({
  cacheDir: z
    .string()
    .default('.cache')
    .describe('Installed jars and binaries (git-ignored); relative paths are from the repository root.'),
  stateDir: z
    .string()
    .default('.pulsewire')
    .describe('Data directories, logs and PID files of the running stack.'),
  kafkaBroker: z
    .strictObject({
      port: z.number().int().min(1024).max(65_535).default(19_092).describe('Client listener on 127.0.0.1.'),
      controllerPort: z
        .number()
        .int()
        .min(1024)
        .max(65_535)
        .default(19_093)
        .describe('KRaft controller listener.'),
      heapMb: z.number().int().min(256).default(768).describe('JVM heap (-Xms/-Xmx) of the broker.'),
      readyTimeoutMs: z.number().int().positive().default(120_000),
    })
    .prefault({}),
  kafkaCluster: z
    .strictObject({
      portStep: z
        .number()
        .int()
        .min(2)
        .default(2)
        .describe(
          'Node n of `stack up --brokers 3` listens on kafkaBroker.port + (n-1) × portStep and its controller on kafkaBroker.controllerPort + (n-1) × portStep (default: 19092/19093, 19094/19095, 19096/19097).',
        ),
      heapMb: z
        .number()
        .int()
        .min(256)
        .default(512)
        .describe(
          'JVM heap (-Xmx) of each node of `stack up --brokers 3`: three nodes and the pipeline share one machine.',
        ),
    })
    .prefault({})
    .describe('The three-node Kafka of `pulsewire stack up --brokers 3` (ADR 0021).'),
  influxdbServer: z
    .strictObject({
      port: z.number().int().min(1024).max(65_535).default(18_086).describe('HTTP API on 127.0.0.1.'),
      rpcPort: z.number().int().min(1024).max(65_535).default(18_088).describe('Backup/restore RPC port.'),
      database: z
        .string()
        .min(1)
        .default('telemetry')
        .describe('Database created at start (bucket "<db>/autogen").'),
      readyTimeoutMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  prometheus: prometheusSchema.prefault({}),
  lagGroups: z
    .array(z.string().min(1))
    .default(['pulsewire-storage', 'pulsewire-alerting'])
    .describe('Consumer groups whose lag `stack status` shows (add a sink group per sink you run).'),
})
export type StackConfig = z.output<typeof stackConfigSchema>

export interface StackPaths {
  cache: string
  state: string
  kafkaHome: string
  kafkaLib: string
  kafkaData: string
  /** Data directories of the three-node Kafka (node-1, node-2, node-3) and its cluster id. */
  kafkaClusterData: string
  influxBin: string
  influxData: string
  logs: string
  pids: string
}

export function stackPaths(config: StackConfig, repoRoot: string): StackPaths {
  const cache = resolve(repoRoot, config.cacheDir)
  const state = resolve(repoRoot, config.stateDir)
  const kafkaHome = resolve(cache, `kafka-${STACK_VERSIONS.kafka}`)
  return {
    cache,
    state,
    kafkaHome,
    kafkaLib: resolve(kafkaHome, 'lib'),
    kafkaData: resolve(state, 'kafka'),
    kafkaClusterData: resolve(state, 'kafka-cluster'),
    influxBin: resolve(cache, `influxdb-${STACK_VERSIONS.influxdb}`, 'influxd'),
    influxData: resolve(state, 'influxdb'),
    logs: resolve(state, 'logs'),
    pids: resolve(state, 'pids'),
  }
}
