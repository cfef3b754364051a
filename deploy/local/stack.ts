import { existsSync, rmSync } from 'node:fs'
import { relative } from 'node:path'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { topicsSchema } from '../../core/config/topics.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { PipelineError } from '../../core/errors.js'
import { CHANNEL_SPECS } from '../../core/telemetry/topics.js'
import { STACK_VERSIONS, stackPaths, type StackConfig, type StackPaths } from './config.js'
import { installInfluxdb, influxProcess, startInfluxdb } from './influxdb.js'
import { brokerList, installKafka, layoutReplication, startKafka, type KafkaLayout } from './kafka.js'
import { runningPid, stopByPid, type ManagedProcess } from '../../core/process/pid-file.js'
import { commandExists } from './host.js'
import {
  prometheusEnabled,
  prometheusPaths,
  prometheusStatus,
  startPrometheus,
  stopPrometheus,
} from './prometheus.js'
import { clusterMetadata, partitionFigures, quorumLeader, startKafkaCluster } from './kafka-cluster.js'
import {
  everyKafkaNode,
  kafkaLayout,
  recordBrokers,
  recordedBrokers,
  writeClientEnv,
  type BrokerCount,
} from './stack-shape.js'

export interface StackOptions {
  config: StackConfig
  repoRoot: string
  log: (line: string) => void
}

/** A Kafka node as `stack status` sees it in the cluster's metadata. */
export interface KafkaNodeStatus {
  nodeId: number
  /** The active controller (quorum leader). */
  controller: boolean
  /** Partitions it leads, and of those the ones with an ISR short of their replicas. */
  leaders: number
  underReplicated: number
}

export interface ServiceStatus {
  name: string
  pid: number | undefined
  address: string
  ready: boolean
  logFile: string
  /** Kafka nodes only. */
  kafka?: KafkaNodeStatus
}

function requireCommands(paths: StackPaths): void {
  const needs: Array<[string, string]> = [
    ['java', 'OpenJDK 17+ (Debian: apt-get install openjdk-17-jre-headless)'],
  ]
  if (!existsSync(`${paths.kafkaHome}/.installed`))
    needs.push(['mvn', 'Maven (Debian: apt-get install maven)'])
  if (!existsSync(paths.influxBin)) needs.push(['go', 'Go >= 1.21 (https://go.dev/doc/install)'])
  const missing = needs.filter(([command]) => !commandExists(command))
  if (missing.length > 0) {
    throw new PipelineError(
      'STACK_PREREQUISITE_MISSING',
      `the local stack needs: ${missing.map(([c, hint]) => `${c} — ${hint}`).join('; ')}`,
    )
  }
}

export type StackServer = 'kafka' | 'influxdb' | 'prometheus'

/**
 * Installs what is missing (once), starts Kafka and InfluxDB, waits for real readiness, creates
 * the channels. Resolves with the servers this call started (a running one is reused), so a
 * caller stops only what it started.
 */
export async function stackUp(
  options: StackOptions & {
    fresh?: boolean
    brokers?: BrokerCount
    /** true: run Prometheus and remember it; false: stop it and forget; absent: as remembered. */
    prometheus?: boolean
  },
): Promise<{ started: StackServer[] }> {
  const { config, repoRoot, log } = options
  const paths = stackPaths(config, repoRoot)
  if (options.fresh) {
    await stackDown(options)
    rmSync(paths.kafkaData, { recursive: true, force: true })
    rmSync(paths.kafkaClusterData, { recursive: true, force: true })
    rmSync(paths.influxData, { recursive: true, force: true })
    rmSync(prometheusPaths(paths).data, { recursive: true, force: true })
    log('fresh start: data directories removed')
  }
  const brokers = options.brokers ?? recordedBrokers(paths)
  recordBrokers(config, paths, brokers)
  const layout = kafkaLayout(config, paths, brokers)
  requireCommands(paths)
  installKafka(paths, log)
  installInfluxdb(paths, log)
  // Started together: the JVM's start-up and influxd's overlap.
  const [kafka, influx] = await Promise.all([
    brokers === 1
      ? startKafka(config, paths, log)
      : startKafkaCluster(config, paths, log).then((ids) => ids.length > 0),
    startInfluxdb(config, paths, log),
  ])
  const started: StackServer[] = []
  if (kafka) started.push('kafka')
  if (influx) started.push('influxdb')
  const envFile = writeClientEnv(paths, layout)
  if (brokers > 1)
    log(`clients   ${brokerList(layout)} (set -a; . ${relative(process.cwd(), envFile)}; set +a)`)
  const admin = createKafkaAdmin(kafkaOf(layout), 'pulsewire-stack')
  // The channels' replication follows the cluster size: RF 3 and min ISR 2 on three nodes.
  const topics = topicsSchema.parse({ replicationFactor: layoutReplication(layout).replicationFactor })
  try {
    const { created, reconciled, warnings } = await admin.ensureTopics(
      channelTopicSpecs(CHANNEL_SPECS, topics),
    )
    const notes = [
      created.length ? `${created.length} created` : '',
      reconciled.length ? `${reconciled.length} reconciled` : '',
    ].filter(Boolean)
    log(`channels  ${CHANNEL_SPECS.length} ready${notes.length ? ` (${notes.join(', ')})` : ''}`)
    for (const { topic, message } of warnings) log(`warning   ${topic} ${message}`)
  } finally {
    admin.close()
  }
  if (options.prometheus === false) await stopPrometheus(paths, log, { forget: true })
  else if (options.prometheus === true || prometheusEnabled(paths)) {
    if (options.prometheus === undefined)
      log('prometheus kept (an earlier --with-prometheus; --no-prometheus drops it)')
    if (await startPrometheus(config, paths, log)) started.push('prometheus')
  }
  return { started }
}

/** Stops every server of ours (or the `only` ones) by PID (SIGTERM, then SIGKILL after the grace period). */
export async function stackDown(options: StackOptions & { only?: readonly StackServer[] }): Promise<void> {
  const paths = stackPaths(options.config, options.repoRoot)
  // Every node of either shape: a node left over from the other shape is stopped too, but only
  // the recorded shape's are reported when they were not running.
  const shape = new Set(
    kafkaLayout(options.config, paths, recordedBrokers(paths)).nodes.map((n) => n.proc.name),
  )
  const all: Array<[StackServer, ManagedProcess]> = [
    ...everyKafkaNode(options.config, paths).map((node): [StackServer, ManagedProcess] => [
      'kafka',
      node.proc,
    ]),
    ['influxdb', influxProcess(paths)],
  ]
  // Stopped, not forgotten: the next `stack up` starts it again (ADR 0019).
  if (!options.only || options.only.includes('prometheus')) await stopPrometheus(paths, options.log)
  const procs = all.filter(([name]) => !options.only || options.only.includes(name)).map(([, proc]) => proc)
  await Promise.all(
    procs.map(async (proc) => {
      const pid = runningPid(proc)
      if (await stopByPid(proc, 30_000)) options.log(`${proc.name.padEnd(9)} stopped (pid ${pid})`)
      else if (proc.name === 'influxdb' || shape.has(proc.name))
        options.log(`${proc.name.padEnd(9)} was not running`)
    }),
  )
}

export async function stackStatus(options: StackOptions): Promise<ServiceStatus[]> {
  const { config, repoRoot } = options
  const paths = stackPaths(config, repoRoot)
  const layout = kafkaLayout(config, paths, recordedBrokers(paths))
  const influx = influxProcess(paths)
  const influxPid = runningPid(influx)
  const influxUrl = `http://127.0.0.1:${config.influxdbServer.port}`
  const influxReady =
    influxPid !== undefined &&
    (await fetch(`${influxUrl}/ping`, { signal: AbortSignal.timeout(3_000) }).then(
      (r) => r.status === 204,
      () => false,
    ))
  // Listed while the stack is meant to run it (or it runs anyway), so a stack without it stays as it was.
  const prometheus = await prometheusStatus(config, paths)
  const extra = prometheusEnabled(paths) || prometheus.pid !== undefined ? [prometheus] : []
  return [
    ...(await kafkaStatus(layout)),
    {
      name: `influxdb ${STACK_VERSIONS.influxdb}`,
      pid: influxPid,
      address: influxUrl,
      ready: influxReady,
      logFile: influx.logFile,
    },
    ...extra,
  ]
}

/**
 * Each node: PID, whether it is live in the cluster's metadata (registered and unfenced), the
 * partitions it leads and how many of those are under-replicated, and which one is the controller.
 */
async function kafkaStatus(layout: KafkaLayout): Promise<ServiceStatus[]> {
  const pids = layout.nodes.map((node) => runningPid(node.proc))
  const metadata = pids.some((pid) => pid !== undefined)
    ? await clusterMetadata(brokerList(layout), 3_000).catch(() => undefined)
    : undefined
  const figures = partitionFigures(metadata?.partitions ?? [])
  const controller = layout.nodes.length > 1 ? quorumLeader(layout.nodes) : layout.nodes[0]?.id
  return layout.nodes.map((node, i) => ({
    name:
      layout.nodes.length === 1
        ? `kafka ${STACK_VERSIONS.kafka}`
        : `kafka-${node.id} ${STACK_VERSIONS.kafka}`,
    pid: pids[i],
    address: `127.0.0.1:${node.port}`,
    ready: pids[i] !== undefined && (metadata?.brokers.includes(node.id) ?? false),
    logFile: node.proc.logFile,
    kafka: {
      nodeId: node.id,
      controller: pids[i] !== undefined && controller === node.id,
      leaders: figures.perNode.get(node.id)?.leaders ?? 0,
      underReplicated: figures.perNode.get(node.id)?.underReplicated ?? 0,
    },
  }))
}

function kafkaOf(layout: KafkaLayout) {
  return { brokers: brokerList(layout), clientId: 'pulsewire-stack', librdkafka: {} }
}
