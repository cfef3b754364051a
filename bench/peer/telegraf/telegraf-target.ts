import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { influxSchema, kafkaSchema } from '../../../core/config/shared.js'
import { PipelineError } from '../../../core/errors.js'
import { createInfluxAdapter } from '../../../core/influx/client.js'
import { createKafkaAdmin } from '../../../core/kafka/admin.js'
import { spawnChild, waitReady, type Child } from '../../../core/process/child-process.js'
import { findRepoRoot } from '../../../core/repo-root.js'
import { retry } from '../../../core/retry.js'
import { CHANNEL_SPECS, CHANNELS } from '../../../core/telemetry/topics.js'
import { startGroupAtEnd } from '../../loadtest/group-offsets.js'
import { localStackProcesses } from '../../loadtest/stack-processes.js'
import type { LoadTarget, LoadTargetEndpoints, LoadTargetProcess } from '../../loadtest/target.js'
import { BRIDGE_MQTT_USER, startMosquitto, writeMosquittoFiles, type MosquittoFiles } from '../mosquitto.js'
import {
  edgeConfig,
  storeConfig,
  telegrafFlushMs,
  TELEGRAF_MEASUREMENT,
  TELEGRAF_TUNED,
  type TelegrafTuning,
} from './config.js'
import { ensureTelegraf } from './install.js'

export const TELEGRAF_PEER_NAME = 'mosquitto+telegraf'

type AgentName = 'telegraf-edge' | 'telegraf-store'
type ProcessName = AgentName | 'mosquitto'

export interface TelegrafPeerOptions {
  kafka?: { brokers: string }
  influxUrl?: string
  /** Mosquitto's port on 127.0.0.1; its own, away from the naive peer's 19883. */
  mqttPort?: number
  /** Stock settings or a team's tuning (config.ts); `tuned` unless told. */
  tuning?: TelegrafTuning
  /** Keep the run's directory (configs, logs) after stop; it is removed otherwise. */
  keepFiles?: boolean
  log?: (line: string) => void
}

interface Running {
  dir: string
  binary: string
  mosquittoFiles: MosquittoFiles
  mosquitto: Child
  agents: Record<AgentName, Child>
  starts: Record<AgentName, number>
  topic: string
  groupId: string
  database: string
  processes: Record<ProcessName, LoadTargetProcess>
}

const VITALS_PARTITIONS = CHANNEL_SPECS.find((spec) => spec.name === CHANNELS.vitals)?.partitions ?? 12
const PASSWORD_ENV = 'PEER_MQTT_PASSWORD'
/** Telegraf logs this once inputs.mqtt_consumer has connected and subscribed. */
const EDGE_READY = '[inputs.mqtt_consumer] Connected'
/** Logged before the agent starts its plugins; a kafka_consumer that cannot connect exits the agent. */
const AGENT_CONFIGURED = '[agent] Config:'

/**
 * The peer a team on the InfluxData stack runs (issue #11): Debian's Mosquitto, Telegraf agent 1
 * (MQTT → Kafka, line protocol) and agent 2 (Kafka → InfluxDB 1.8), on the same Kafka broker and
 * InfluxDB as our pipeline. Each start gets its own topic, consumer group and database.
 */
export function createTelegrafPeerTarget(options: TelegrafPeerOptions = {}): LoadTarget {
  const brokers = options.kafka?.brokers ?? '127.0.0.1:19092'
  const influxUrl = options.influxUrl ?? 'http://127.0.0.1:18086'
  const mqttPort = options.mqttPort ?? 19_884
  const log = options.log ?? (() => undefined)
  const tuning = options.tuning ?? 'tuned'
  const root = findRepoRoot(import.meta.url)
  let running: Running | undefined

  async function startAgent(run: Omit<Running, 'agents' | 'processes'>, name: AgentName): Promise<Child> {
    const logFile = join(run.dir, `${name}.${run.starts[name]}.log`)
    const child = spawnChild({
      name,
      command: run.binary,
      args: ['--config', join(run.dir, `${name}.conf`)],
      output: { logFile },
      env: { ...process.env, [PASSWORD_ENV]: run.mosquittoFiles.bridgePassword },
    })
    const ready = name === 'telegraf-edge' ? EDGE_READY : AGENT_CONFIGURED
    await waitReady(child, () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes(ready), {
      timeoutMs: 60_000,
    })
    return child
  }

  async function createTopic(topic: string): Promise<void> {
    const admin = createKafkaAdmin({ brokers, clientId: 'pulsewire-peer', librdkafka: {} }, 'pulsewire-peer')
    try {
      await admin.ensureTopics([
        { name: topic, partitions: VITALS_PARTITIONS, config: { 'retention.ms': String(86_400_000) } },
      ])
    } finally {
      admin.close()
    }
  }

  async function stopAll(run: Partial<Running> & { dir: string }): Promise<void> {
    // Edge first: its queue in Mosquitto stays, and what it has taken is flushed on SIGTERM
    // (Telegraf flushes its outputs on shutdown). Then the store, which flushes into InfluxDB.
    for (const name of ['telegraf-edge', 'telegraf-store'] as const) {
      const agent = run.agents?.[name]
      if (!agent) continue
      const { forced, exit } = await agent.stop({ graceMs: 30_000 })
      if (forced || exit !== 0) log(`peer: ${name} did not stop cleanly (exit ${exit}); see ${run.dir}`)
    }
    if (run.mosquitto) await run.mosquitto.stop({ graceMs: 10_000 })
    if (!options.keepFiles) rmSync(run.dir, { recursive: true, force: true })
  }

  return {
    name: TELEGRAF_PEER_NAME,

    async start(deviceIds): Promise<LoadTargetEndpoints> {
      if (running) throw new PipelineError('STACK_START_FAILED', `${TELEGRAF_PEER_NAME} is already running`)
      const binary = await ensureTelegraf({ root, log })
      const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
      const dir = mkdtempSync(join(tmpdir(), 'pulsewire-telegraf-'))
      const partial: Partial<Running> & { dir: string } = { dir }
      try {
        // Tuned: Mosquitto may keep as many messages in flight to the agent as the agent takes
        // undelivered, and queues far more behind them than its default 1000.
        const mosquittoFiles = writeMosquittoFiles(
          dir,
          mqttPort,
          deviceIds,
          tuning === 'tuned'
            ? { maxInflight: TELEGRAF_TUNED.maxUndelivered, maxQueued: 50 * TELEGRAF_TUNED.maxUndelivered }
            : undefined,
        )
        partial.mosquitto = await startMosquitto(mosquittoFiles)
        const topic = `peer.telegraf.v1.${runId}`
        const database = `peer_telegraf_${runId.replaceAll('-', '_')}`
        const groupId = `peer-telegraf-${runId}`
        await createTopic(topic)
        await createInfluxAdapter(
          influxSchema.parse({ url: influxUrl, bucket: `${database}/autogen` }),
        ).ensureBucket()
        // Committed offsets before the agent joins, so its lag is measured from the first record.
        // A topic created a moment ago may have no partition leaders yet ("Not leader for
        // partition"): reading its end offsets is retried until they are elected.
        const kafka = kafkaSchema.parse({ brokers, clientId: 'pulsewire-peer' })
        await retry(() => startGroupAtEnd(kafka, groupId, [topic]), {
          attempts: 20,
          initialDelayMs: 250,
          maxDelayMs: 2_000,
        })
        writeFileSync(
          join(dir, 'telegraf-edge.conf'),
          edgeConfig({
            mqttUrl: `tcp://127.0.0.1:${mqttPort}`,
            username: BRIDGE_MQTT_USER,
            passwordEnv: PASSWORD_ENV,
            clientId: `telegraf-edge-${runId}`,
            protoFile: join(root, 'proto/pulsewire/telemetry/v1/telemetry.proto'),
            brokers,
            topic,
            tuning,
          }),
        )
        writeFileSync(
          join(dir, 'telegraf-store.conf'),
          storeConfig({ brokers, topic, groupId, influxUrl, database, tuning }),
        )
        const base = {
          dir,
          binary,
          mosquittoFiles,
          mosquitto: partial.mosquitto,
          starts: { 'telegraf-edge': 1, 'telegraf-store': 1 },
          topic,
          groupId,
          database,
        }
        // The store first: the edge's records then find a consumer already there.
        const store = await startAgent(base, 'telegraf-store')
        partial.agents = { 'telegraf-store': store } as Record<AgentName, Child>
        const edge = await startAgent(base, 'telegraf-edge')
        partial.agents['telegraf-edge'] = edge
        const run: Running = {
          ...base,
          agents: { 'telegraf-edge': edge, 'telegraf-store': store },
          processes: {
            mosquitto: { name: 'mosquitto', pid: base.mosquitto.pid },
            'telegraf-edge': { name: 'telegraf-edge', pid: edge.pid },
            'telegraf-store': { name: 'telegraf-store', pid: store.pid },
          },
        }
        running = run
        log(
          `peer: mosquitto :${mqttPort} (pid ${run.mosquitto.pid}), telegraf ${edge.pid}/${store.pid}, ${dir}`,
        )
        const stack = localStackProcesses({ root, env: process.env, kafkaBrokers: brokers, influxUrl })
        for (const note of stack.notes) if (note.includes('not measured')) log(`peer: ${note}`)
        return {
          mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
          credentials: mosquittoFiles.deviceSecrets,
          kafka: { brokers, topics: [topic], format: 'influx-line' },
          influx: { url: influxUrl, database, measurement: TELEGRAF_MEASUREMENT },
          consumerGroups: [{ name: 'telegraf-store', groupId, topics: [topic] }],
          processes: [
            run.processes.mosquitto,
            run.processes['telegraf-edge'],
            run.processes['telegraf-store'],
            ...stack.processes,
          ],
          notes: [...stack.notes, `telegraf: ${tuning} settings (bench/peer/telegraf/config.ts)`],
          // A point may wait one flush_interval in each agent before it is written on.
          storeFlushIntervalMs: 2 * telegrafFlushMs(tuning),
        }
      } catch (err) {
        await stopAll(partial).catch(() => undefined)
        throw err
      }
    },

    async stop(): Promise<void> {
      const run = running
      running = undefined
      if (run) await stopAll(run)
    },

    /** SIGKILL and restart, as the naive peer does: what the crash costs is the peer's loss. */
    async crash(processName: string): Promise<LoadTargetProcess> {
      const run = running
      if (!run) throw new PipelineError('STACK_STOP_FAILED', `${TELEGRAF_PEER_NAME} is not running`)
      if (processName === 'telegraf-edge' || processName === 'telegraf-store') {
        await run.agents[processName].kill()
        run.starts[processName] += 1
        run.agents[processName] = await startAgent(run, processName)
        run.processes[processName].pid = run.agents[processName].pid
      } else if (processName === 'mosquitto') {
        await run.mosquitto.kill()
        run.mosquitto = await startMosquitto(run.mosquittoFiles)
        run.processes.mosquitto.pid = run.mosquitto.pid
      } else {
        throw new PipelineError(
          'STACK_STOP_FAILED',
          `${TELEGRAF_PEER_NAME} has no process "${processName}"`,
          {
            context: { processes: ['telegraf-edge', 'telegraf-store', 'mosquitto'] },
          },
        )
      }
      log(`peer: ${processName} killed and restarted`)
      return run.processes[processName]
    },
  }
}
