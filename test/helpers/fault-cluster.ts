// The three-broker cluster of a fault-matrix test (issue #14, ADR 0021): its own state directory
// and ports (never the shared stack's), the vitals channel's leadership, and what reached Kafka.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { topicsSchema } from '../../core/config/topics.js'
import type { KafkaConfig } from '../../core/config/shared.js'
import { createKafkaConsumer } from '../../core/kafka/consumer.js'
import { runningPid, stopByPid } from '../../core/process/pid-file.js'
import { decodeTelemetry } from '../../core/telemetry/envelope.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { stackConfigSchema, stackPaths } from '../../deploy/local/config.js'
import { brokerList, installKafka, type KafkaNode } from '../../deploy/local/kafka.js'
import { clusterLayout, clusterMetadata, startKafkaCluster } from '../../deploy/local/kafka-cluster.js'
import { repoRoot } from './cli.js'
import { eventually, silentLogger, unique } from './services.js'
import { waitForStable } from './wait.js'

export interface FaultCluster {
  /** Clients' settings for this cluster (RF 3 channels, min ISR 2 from the brokers). */
  kafka: KafkaConfig
  nodes: readonly KafkaNode[]
  /** Installs Kafka if needed and starts the nodes that do not run (after a kill: just that one). */
  start(): Promise<number[]>
  /** Stops every node by its PID (SIGTERM, then SIGKILL) and removes the state directory. */
  destroy(): Promise<void>
  /** The PID of a running node, or an error. */
  pidOf(nodeId: number): number
  /** Leaders of the vitals channel's partitions per node, and its under-replicated partitions. */
  vitalsLeadership(): Promise<{ leaders: Map<number, number>; urp: number }>
  /** Every (device, boot, seq) on the vitals channel for these devices, copies included. */
  storedReadings(
    devices: ReadonlySet<string>,
    expected: number,
  ): Promise<Array<{ deviceId: string; seq: number }>>
}

const quiet = (): void => undefined

export function faultCluster(
  name: string,
  port: number,
  librdkafka: KafkaConfig['librdkafka'] = {},
): FaultCluster {
  const config = stackConfigSchema.parse({
    stateDir: join('.pulsewire', name),
    // The jars of the shared stack when /work/it.sh names them; else this checkout's own cache.
    cacheDir: process.env.PULSEWIRE__CACHE_DIR ?? '.cache',
    kafkaBroker: { port, controllerPort: port + 1 },
    kafkaCluster: { heapMb: 320 },
  })
  const paths = stackPaths(config, repoRoot)
  const layout = clusterLayout(config, paths)
  const kafka: KafkaConfig = {
    brokers: brokerList(layout),
    clientId: 'pulsewire',
    librdkafka,
    topics: topicsSchema.parse({ replicationFactor: 3 }),
  }
  return {
    kafka,
    nodes: layout.nodes,
    start() {
      installKafka(paths, quiet)
      return startKafkaCluster(config, paths, quiet)
    },
    async destroy() {
      await Promise.all(layout.nodes.map((node) => stopByPid(node.proc, 30_000)))
      rmSync(paths.state, { recursive: true, force: true })
    },
    pidOf(nodeId) {
      const node = layout.nodes.find((n) => n.id === nodeId)
      const pid = node && runningPid(node.proc)
      if (pid === undefined) throw new Error(`no running node ${nodeId}`)
      return pid
    },
    async vitalsLeadership() {
      const view = await clusterMetadata(kafka.brokers, 5_000)
      const leaders = new Map<number, number>()
      let urp = 0
      for (const p of view.partitions.filter((p) => p.topic === CHANNELS.vitals)) {
        leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1)
        if (p.isrs.length < p.replicas.length) urp++
      }
      return { leaders, urp }
    },
    async storedReadings(devices, expected) {
      const found: Array<{ deviceId: string; seq: number }> = []
      const seen = new Set<string>()
      const groupId = unique(`it-${name}-reconcile`)
      const consumer = createKafkaConsumer({
        kafka,
        groupId,
        clientId: groupId,
        topics: [CHANNELS.vitals],
        logger: silentLogger,
        handler: (batch) => {
          for (const record of batch) {
            if (!record.key || !devices.has(record.key)) continue
            const decoded = decodeTelemetry(record.value)
            if (!decoded.ok) continue
            const { deviceId, bootId, seq } = decoded.value
            found.push({ deviceId, seq })
            seen.add(`${deviceId}/${bootId}/${seq}`)
          }
          return Promise.resolve()
        },
      })
      await consumer.start()
      await eventually(() => (seen.size >= expected ? true : undefined), 60_000).catch(() => undefined)
      await waitForStable(() => found.length, { quietMs: 2_000, what: 'copies beyond the expected count' })
      await consumer.stop()
      return found
    },
  }
}

/** The victim of a broker fault: the node leading most of the vitals channel's partitions. */
export const mostLeaders = (leaders: ReadonlyMap<number, number>): number =>
  [...leaders.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 1

export const p99 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0
}
