// The three-node Kafka of `pulsewire stack up --brokers 3` (ADR 0021): combined broker and
// controller nodes with a three-voter quorum, each with its own ports, data directory and PID file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PipelineError } from '../../core/errors.js'
import { Kafka, baseRdConfig, type Metadata } from '../../core/kafka/rdkafka.js'
import { STACK_VERSIONS, type StackConfig, type StackPaths } from './config.js'
import {
  brokerList,
  newClusterId,
  startKafkaNode,
  waitForKafkaNode,
  type KafkaLayout,
  type KafkaNode,
} from './kafka.js'
import { systemClock } from '../../core/clock.js'

export const CLUSTER_NODES = 3

export function clusterLayout(config: StackConfig, paths: StackPaths): KafkaLayout {
  const step = config.kafkaCluster.portStep
  const nodes: KafkaNode[] = Array.from({ length: CLUSTER_NODES }, (_, i) => {
    const id = i + 1
    const dataDir = resolve(paths.kafkaClusterData, `node-${id}`)
    return {
      id,
      port: config.kafkaBroker.port + i * step,
      controllerPort: config.kafkaBroker.controllerPort + i * step,
      dataDir,
      proc: {
        name: `kafka-${id}`,
        pidFile: resolve(paths.pids, `kafka-${id}.pid`),
        logFile: resolve(paths.logs, `kafka-${id}.log`),
        marker: resolve(dataDir, 'server.properties'),
      },
    }
  })
  return {
    nodes,
    heapMb: config.kafkaCluster.heapMb,
    readyTimeoutMs: config.kafkaBroker.readyTimeoutMs,
  }
}

/** The cluster id every node is formatted with, made once and kept next to the nodes' data. */
function clusterIdOf(paths: StackPaths): () => string {
  const file = resolve(paths.kafkaClusterData, 'cluster.id')
  return () => {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim()
    mkdirSync(paths.kafkaClusterData, { recursive: true })
    const id = newClusterId()
    writeFileSync(file, `${id}\n`)
    return id
  }
}

/**
 * Starts the nodes that do not run (a restart after one died starts just that one), waits until
 * each answers and every node is registered with the quorum, so RF 3 topics can be created.
 * Resolves with the ids of the nodes this call started.
 */
export async function startKafkaCluster(
  config: StackConfig,
  paths: StackPaths,
  log: (line: string) => void,
): Promise<number[]> {
  const layout = clusterLayout(config, paths)
  const clusterId = clusterIdOf(paths)
  // In parallel (a formatting JVM per node); the first to ask writes the cluster id, synchronously.
  const starts = await Promise.all(layout.nodes.map((node) => startKafkaNode(layout, node, paths, clusterId)))
  const started = layout.nodes.filter((_, i) => starts[i]).map((node) => node.id)
  await Promise.all(layout.nodes.map((node) => waitForKafkaNode(layout, node)))
  const brokers = brokerList(layout)
  const deadline = Date.now() + layout.readyTimeoutMs
  for (;;) {
    const view = await clusterMetadata(brokers, 3_000).catch(() => undefined)
    if (view && view.brokers.length === layout.nodes.length) break
    if (Date.now() > deadline) {
      throw new PipelineError(
        'STACK_START_FAILED',
        `Kafka nodes answer but only ${view?.brokers.join(', ') ?? 'none'} registered with the quorum after ${layout.readyTimeoutMs} ms`,
      )
    }
    await systemClock.sleep(500)
  }
  log(
    `kafka     ready on ${brokers} (KRaft, ${layout.nodes.length} nodes, Apache Kafka ${STACK_VERSIONS.kafka})`,
  )
  return started
}

export interface PartitionView {
  topic: string
  partition: number
  /** -1 when the partition has no leader (offline). */
  leader: number
  replicas: number[]
  isrs: number[]
}

export interface ClusterMetadata {
  /** Node ids of the live (registered, unfenced) brokers. */
  brokers: number[]
  partitions: PartitionView[]
}

/** One metadata request through librdkafka: live brokers, and leader, replicas and ISR per partition. */
export function clusterMetadata(brokers: string, timeoutMs: number): Promise<ClusterMetadata> {
  const client = new Kafka.Producer(
    baseRdConfig({ brokers, clientId: 'pulsewire-stack', librdkafka: {} }, 'pulsewire-stack'),
  )
  return new Promise<ClusterMetadata>((resolveView, reject) => {
    client.connect({ timeout: timeoutMs }, (err, metadata: Metadata) => {
      if (err) {
        reject(
          new PipelineError('KAFKA_CONNECT_FAILED', `no metadata from ${brokers}: ${err.message}`, {
            cause: err,
            retriable: true,
          }),
        )
        return
      }
      const view: ClusterMetadata = {
        brokers: metadata.brokers.map((b) => b.id).sort((a, b) => a - b),
        partitions: metadata.topics.flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.name,
            partition: p.id,
            leader: p.leader,
            replicas: [...p.replicas],
            isrs: [...p.isrs],
          })),
        ),
      }
      client.disconnect(() => resolveView(view))
    })
  })
}

/**
 * The active controller: the quorum leader as the live nodes' `quorum-state` files record it
 * (the Metadata API reports a random broker as "controller" under KRaft). The highest epoch wins.
 */
export function quorumLeader(nodes: readonly KafkaNode[]): number | undefined {
  let best: { leaderId: number; leaderEpoch: number } | undefined
  for (const node of nodes) {
    const file = resolve(node.dataDir, 'logs', '__cluster_metadata-0', 'quorum-state')
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as { leaderId?: number; leaderEpoch?: number }
      const leaderId = state.leaderId ?? -1
      const leaderEpoch = state.leaderEpoch ?? -1
      if (leaderId >= 0 && (!best || leaderEpoch > best.leaderEpoch)) best = { leaderId, leaderEpoch }
    } catch {
      // Not formatted yet, or being rewritten: another node tells.
    }
  }
  return best?.leaderId
}

export interface NodeFigures {
  /** Partitions this node leads. */
  leaders: number
  /** Of those, the ones whose ISR is smaller than their replica set. */
  underReplicated: number
}

/** Leaders and under-replicated partitions per node, and the offline partitions (no leader). */
export function partitionFigures(partitions: readonly PartitionView[]): {
  perNode: Map<number, NodeFigures>
  underReplicated: number
  offline: number
} {
  const perNode = new Map<number, NodeFigures>()
  let underReplicated = 0
  let offline = 0
  for (const p of partitions) {
    const urp = p.isrs.length < p.replicas.length
    if (urp) underReplicated++
    if (p.leader < 0) {
      offline++
      continue
    }
    const figures = perNode.get(p.leader) ?? { leaders: 0, underReplicated: 0 }
    figures.leaders++
    if (urp) figures.underReplicated++
    perNode.set(p.leader, figures)
  }
  return { perNode, underReplicated, offline }
}
