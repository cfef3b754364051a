// How many Kafka nodes the local stack runs, recorded in its state directory so that a later
// `stack up`, `status` or `down` acts on the same shape without being told again (ADR 0021).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PipelineError } from '../../core/errors.js'
import { runningPid } from '../../core/process/pid-file.js'
import type { StackConfig, StackPaths } from './config.js'
import { clusterLayout } from './kafka-cluster.js'
import { brokerList, layoutReplication, singleNodeLayout, type KafkaLayout } from './kafka.js'

export const BROKER_COUNTS = [1, 3] as const
export type BrokerCount = (typeof BROKER_COUNTS)[number]

const shapeFile = (paths: StackPaths): string => resolve(paths.state, 'stack.json')
/** `KEY=value` lines a shell (`set -a; . FILE`), systemd or compose can load. */
export const clientEnvFile = (paths: StackPaths): string => resolve(paths.state, 'kafka-clients.env')

/** The recorded shape; 1 (the default) when none was recorded. */
export function recordedBrokers(paths: StackPaths): BrokerCount {
  try {
    const { kafkaBrokers } = JSON.parse(readFileSync(shapeFile(paths), 'utf8')) as { kafkaBrokers?: unknown }
    return kafkaBrokers === 3 ? 3 : 1
  } catch {
    return 1
  }
}

export function kafkaLayout(config: StackConfig, paths: StackPaths, brokers: BrokerCount): KafkaLayout {
  return brokers === 1 ? singleNodeLayout(config, paths) : clusterLayout(config, paths)
}

/** Both shapes' nodes: `stack down` stops whatever of either runs. */
export function everyKafkaNode(config: StackConfig, paths: StackPaths) {
  return [...singleNodeLayout(config, paths).nodes, ...clusterLayout(config, paths).nodes]
}

/**
 * Records the shape `stack up` was asked for. Refuses while the other shape's nodes run: a node
 * of one shape cannot join the other's quorum, and each shape keeps its own data.
 */
export function recordBrokers(config: StackConfig, paths: StackPaths, brokers: BrokerCount): void {
  const other = kafkaLayout(config, paths, brokers === 1 ? 3 : 1)
  const running = other.nodes.filter((node) => runningPid(node.proc) !== undefined)
  if (running.length > 0) {
    throw new PipelineError(
      'STACK_SHAPE_MISMATCH',
      `the stack runs ${other.nodes.length === 1 ? 'a single Kafka node' : `a ${other.nodes.length}-node Kafka`} (${running.map((n) => n.proc.name).join(', ')}); stop it with \`pulsewire stack down\` before \`stack up --brokers ${brokers}\` (each shape keeps its own data)`,
    )
  }
  mkdirSync(paths.state, { recursive: true })
  writeFileSync(shapeFile(paths), `${JSON.stringify({ kafkaBrokers: brokers })}\n`)
}

/**
 * The environment overrides a Pulsewire process needs for this shape: the full bootstrap list
 * and the replication factor its `channels.ensure` reconciles to (with the default RF 1 a process
 * would lower the cluster's min.insync.replicas 2 to 1). Empty for the single node: the
 * defaults are that node.
 */
export function clientEnv(layout: KafkaLayout): Record<string, string> {
  if (layout.nodes.length === 1) return {}
  return {
    PULSEWIRE__KAFKA__BROKERS: brokerList(layout),
    PULSEWIRE__KAFKA__TOPICS__REPLICATION_FACTOR: String(layoutReplication(layout).replicationFactor),
  }
}

/** Writes the client environment file (empty of overrides for the single node). */
export function writeClientEnv(paths: StackPaths, layout: KafkaLayout): string {
  const file = clientEnvFile(paths)
  const lines = Object.entries(clientEnv(layout)).map(([key, value]) => `${key}=${value}`)
  mkdirSync(paths.state, { recursive: true })
  writeFileSync(
    file,
    `# Written by pulsewire stack up: the Kafka of this stack as Pulsewire processes see it.\n${lines.join('\n')}${lines.length ? '\n' : ''}`,
  )
  return file
}

/** The client environment of the recorded shape (what `pulsewire up` gives its processes). */
export function stackClientEnv(config: StackConfig, paths: StackPaths): Record<string, string> {
  return clientEnv(kafkaLayout(config, paths, recordedBrokers(paths)))
}
