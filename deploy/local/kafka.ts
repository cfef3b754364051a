import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fetchMetadata } from '../../core/kafka/admin.js'
import { PipelineError } from '../../core/errors.js'
import { STACK_VERSIONS, type StackConfig, type StackPaths } from './config.js'
import { tail } from '../../core/process/child-process.js'
import { isAlive, runningPid, startDetached, type ManagedProcess } from '../../core/process/pid-file.js'
import { systemClock } from '../../core/clock.js'
import { portOpen, runAsyncOrThrow, runOrThrow } from './host.js'

export function kafkaProcess(paths: StackPaths): ManagedProcess {
  return {
    name: 'kafka',
    pidFile: resolve(paths.pids, 'kafka.pid'),
    logFile: resolve(paths.logs, 'kafka.log'),
    marker: resolve(paths.kafkaData, 'server.properties'),
  }
}

/** The broker's runtime classpath from Maven Central, plus the logging binding its POM lacks. */
export function installKafka(paths: StackPaths, log: (line: string) => void): void {
  const marker = resolve(paths.kafkaHome, '.installed')
  if (existsSync(marker)) return
  log(`installing Apache Kafka ${STACK_VERSIONS.kafka} from Maven Central (first run only)`)
  mkdirSync(paths.kafkaHome, { recursive: true })
  const dep = (group: string, artifact: string, version: string): string =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`
  writeFileSync(
    resolve(paths.kafkaHome, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.pulsewire.local</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', 'kafka_2.13', STACK_VERSIONS.kafka)}
    ${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', STACK_VERSIONS.log4j)}
  </dependencies>
</project>
`,
  )
  runOrThrow('downloading the Kafka jars', 'mvn', [
    '-B',
    '-q',
    '-f',
    resolve(paths.kafkaHome, 'pom.xml'),
    `org.apache.maven.plugins:maven-dependency-plugin:${STACK_VERSIONS.mavenDependencyPlugin}:copy-dependencies`,
    '-DincludeScope=runtime',
    `-DoutputDirectory=${paths.kafkaLib}`,
  ])
  const jars = readdirSync(paths.kafkaLib)
  const core = jars.find((jar) => jar.startsWith('log4j-core-'))
  if (core !== `log4j-core-${STACK_VERSIONS.log4j}.jar`) {
    throw new PipelineError(
      'STACK_INSTALL_FAILED',
      `Kafka ${STACK_VERSIONS.kafka} pulled ${core ?? 'no log4j-core'}; set STACK_VERSIONS.log4j to match`,
    )
  }
  writeFileSync(resolve(paths.kafkaHome, 'log4j2.properties'), LOG4J2_PROPERTIES)
  writeFileSync(marker, `${new Date().toISOString()}\n`)
}

const LOG4J2_PROPERTIES = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
`

/**
 * One KRaft node (combined broker and controller) of the local stack. The single-node stack is
 * node 1 with the `kafka` PID file and data directory; a cluster's nodes have their own
 * (deploy/local/kafka-cluster.ts).
 */
export interface KafkaNode {
  id: number
  port: number
  controllerPort: number
  /** Holds server.properties and the log directory. */
  dataDir: string
  proc: ManagedProcess
}

/** The nodes of one Kafka (1 or 3) and the JVM heap each gets. */
export interface KafkaLayout {
  nodes: readonly KafkaNode[]
  heapMb: number
  readyTimeoutMs: number
}

export function singleNodeLayout(config: StackConfig, paths: StackPaths): KafkaLayout {
  return {
    nodes: [
      {
        id: 1,
        port: config.kafkaBroker.port,
        controllerPort: config.kafkaBroker.controllerPort,
        dataDir: paths.kafkaData,
        proc: kafkaProcess(paths),
      },
    ],
    heapMb: config.kafkaBroker.heapMb,
    readyTimeoutMs: config.kafkaBroker.readyTimeoutMs,
  }
}

/** The bootstrap list of a layout: every node, so a client reaches the cluster while one is down. */
export const brokerList = (layout: KafkaLayout): string =>
  layout.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')

/**
 * The replication of the internal topics (offsets, transactions, share groups) follows the
 * cluster size, as the channels' does (ADR 0021): RF min(3, nodes), min ISR min(2, RF).
 */
export function layoutReplication(layout: KafkaLayout): { replicationFactor: number; minInsync: number } {
  const replicationFactor = Math.min(3, layout.nodes.length)
  return { replicationFactor, minInsync: Math.min(2, replicationFactor) }
}

export function serverProperties(layout: KafkaLayout, node: KafkaNode): string {
  const { replicationFactor: rf, minInsync } = layoutReplication(layout)
  const voters = layout.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',')
  const shape =
    layout.nodes.length === 1
      ? 'single-node KRaft broker'
      : `node ${node.id} of a ${layout.nodes.length}-node KRaft cluster`
  return `# Generated by pulsewire stack up: ${shape} bound to 127.0.0.1.
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${resolve(node.dataDir, 'logs')}
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=${rf}
min.insync.replicas=${minInsync}
offsets.topic.replication.factor=${rf}
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=${rf}
transaction.state.log.min.isr=${minInsync}
share.coordinator.state.topic.replication.factor=${rf}
share.coordinator.state.topic.min.isr=${minInsync}
group.initial.rebalance.delay.ms=0
`
}

const javaArgs = (paths: StackPaths): string[] => [
  `-Dlog4j2.configurationFile=${resolve(paths.kafkaHome, 'log4j2.properties')}`,
  '-cp',
  `${paths.kafkaLib}/*`,
]

/** As Kafka's own Uuid.randomUuid: never one that starts with '-', which the storage tool's
 * argument parser would take for an option ("--cluster-id: expected one argument"). */
export function newClusterId(): string {
  let clusterId = randomBytes(16).toString('base64url')
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url')
  return clusterId
}

/**
 * Writes the node's server.properties and formats its data directory once (a formatted one
 * keeps its cluster id). Every node of a cluster is formatted with the same cluster id.
 */
async function ensureFormatted(
  layout: KafkaLayout,
  node: KafkaNode,
  paths: StackPaths,
  clusterId: () => string,
): Promise<string> {
  const propertiesFile = node.proc.marker
  mkdirSync(node.dataDir, { recursive: true })
  writeFileSync(propertiesFile, serverProperties(layout, node))
  if (!existsSync(resolve(node.dataDir, 'logs', 'meta.properties'))) {
    await runAsyncOrThrow(`formatting the data directory of Kafka node ${node.id}`, 'java', [
      ...javaArgs(paths),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId(),
      '-c',
      propertiesFile,
    ])
  }
  return propertiesFile
}

/**
 * Starts one node unless it runs already; resolves with whether this call started it. Does not
 * wait for readiness: the nodes of a cluster start together, since none answers before a
 * majority of the controller quorum is up.
 */
export async function startKafkaNode(
  layout: KafkaLayout,
  node: KafkaNode,
  paths: StackPaths,
  clusterId: () => string,
): Promise<boolean> {
  if (runningPid(node.proc) !== undefined) return false
  for (const port of [node.port, node.controllerPort]) {
    if (await portOpen(port)) {
      throw new PipelineError(
        'STACK_PORT_IN_USE',
        `port ${port} (Kafka node ${node.id}) is taken by another program; stop it or set kafkaBroker.port`,
      )
    }
  }
  const propertiesFile = await ensureFormatted(layout, node, paths, clusterId)
  startDetached(node.proc, 'java', [
    `-Xms${Math.min(layout.heapMb, 512)}m`,
    `-Xmx${layout.heapMb}m`,
    '-XX:+UseG1GC',
    ...javaArgs(paths),
    'kafka.Kafka',
    propertiesFile,
  ])
  return true
}

/** Waits until the node answers a metadata request on its own listener. */
export async function waitForKafkaNode(layout: KafkaLayout, node: KafkaNode): Promise<void> {
  const kafka = { brokers: `127.0.0.1:${node.port}`, clientId: 'pulsewire-stack', librdkafka: {} }
  await waitUntilReady(node.proc, layout.readyTimeoutMs, async () => {
    await fetchMetadata(kafka, 'pulsewire-stack', 3_000)
    return true
  })
}

/** Starts the single-node broker unless it runs already; resolves with whether this call started it. */
export async function startKafka(
  config: StackConfig,
  paths: StackPaths,
  log: (line: string) => void,
): Promise<boolean> {
  const layout = singleNodeLayout(config, paths)
  const node = layout.nodes[0] as KafkaNode
  const start = await startKafkaNode(layout, node, paths, newClusterId)
  await waitForKafkaNode(layout, node)
  log(`kafka     ready on ${brokerList(layout)} (KRaft, Apache Kafka ${STACK_VERSIONS.kafka})`)
  return start
}

/** Polls a real readiness probe; if the server dies meanwhile, fails with its log's tail. */
export async function waitUntilReady(
  proc: ManagedProcess,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const pid = runningPid(proc)
    if (pid === undefined || !isAlive(pid)) {
      throw new PipelineError(
        'STACK_START_FAILED',
        `${proc.name} exited during start; last lines of ${proc.logFile}:\n${tail(proc.logFile)}`,
      )
    }
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline) {
      throw new PipelineError(
        'STACK_START_FAILED',
        `${proc.name} not ready after ${timeoutMs} ms; last lines of ${proc.logFile}:\n${tail(proc.logFile)}`,
      )
    }
    await systemClock.sleep(500)
  }
}
