import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { influxSchema, type KafkaConfig } from '../../core/config/shared.js'
import { PipelineError } from '../../core/errors.js'
import { createInfluxAdapter } from '../../core/influx/client.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import { spawnChild, waitReady, type Child } from '../../core/process/child-process.js'
import { findRepoRoot } from '../../core/repo-root.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import { localStackProcesses } from '../loadtest/stack-processes.js'
import type { LoadTarget, LoadTargetEndpoints, LoadTargetProcess } from '../loadtest/target.js'
import { BRIDGE_MQTT_USER, startMosquitto, writeMosquittoFiles, type MosquittoFiles } from './mosquitto.js'

export const PEER_NAME = 'mosquitto+naive-bridge'

export interface PeerTargetOptions {
  /** Kafka of the local stack by default; the peer uses the same broker as our pipeline. */
  kafka?: Pick<KafkaConfig, 'brokers'>
  /** InfluxDB 1.8 of the local stack by default. */
  influxUrl?: string
  /** Mosquitto's port on 127.0.0.1; away from 1883, which `pulsewire up` and a system Mosquitto use. */
  mqttPort?: number
  /** How long the bridge may drain on stop (consumer lag to zero) before it closes anyway; 60 s covers a rejoin after a crash. */
  drainTimeoutMs?: number
  /** Keep the run's directory (configs, logs) after stop; it is removed otherwise. */
  keepFiles?: boolean
  log?: (line: string) => void
}

interface Running {
  dir: string
  mosquittoFiles: MosquittoFiles
  mosquitto: Child
  bridge: Child
  bridgeStarts: number
  topic: string
  groupId: string
  database: string
  /** The objects handed out in the endpoints: a restart updates their pid in place. */
  processes: Record<'mosquitto' | 'bridge', LoadTargetProcess>
}

const VITALS_PARTITIONS = CHANNEL_SPECS.find((spec) => spec.name === CHANNELS.vitals)?.partitions ?? 12

/**
 * Baseline B2 of performance.md §4 as a load-test target: Debian's Mosquitto plus the naive
 * bridge (bench/peer/naive-bridge.ts), on the same Kafka broker and InfluxDB as our pipeline.
 * Each start gets its own Kafka topic, consumer group and InfluxDB database.
 */
/** @influxdata/influxdb-client DEFAULT_WriteOptions.flushInterval, which the naive bridge keeps. */
const INFLUX_CLIENT_DEFAULT_FLUSH_MS = 60_000

export function createPeerTarget(options: PeerTargetOptions = {}): LoadTarget {
  const brokers = options.kafka?.brokers ?? '127.0.0.1:19092'
  const influxUrl = options.influxUrl ?? 'http://127.0.0.1:18086'
  const mqttPort = options.mqttPort ?? 19_883
  const drainTimeoutMs = options.drainTimeoutMs ?? 60_000
  const log = options.log ?? (() => undefined)
  const root = findRepoRoot(import.meta.url)
  const bridgeScript = join(root, 'dist/bench/peer/naive-bridge.js')
  let running: Running | undefined

  async function startBridge(run: Omit<Running, 'bridge' | 'processes'>): Promise<Child> {
    if (!existsSync(bridgeScript)) {
      throw new PipelineError('STACK_PREREQUISITE_MISSING', `${bridgeScript} is missing: run npm run build`)
    }
    const logFile = join(run.dir, `bridge.${run.bridgeStarts}.log`)
    const bridge = spawnChild({
      name: 'bridge',
      command: process.execPath,
      args: [
        bridgeScript,
        ...['--mqtt-url', `mqtt://127.0.0.1:${mqttPort}`, '--mqtt-username', BRIDGE_MQTT_USER],
        ...['--kafka-brokers', brokers, '--topic', run.topic, '--group-id', run.groupId],
        ...['--influx-url', influxUrl, '--influx-database', run.database],
        ...['--drain-timeout-ms', String(drainTimeoutMs)],
      ],
      output: { logFile },
      env: { ...process.env, PEER_BRIDGE_MQTT_PASSWORD: run.mosquittoFiles.bridgePassword },
    })
    // The first start also waits for the consumer group join, so a run does not begin with a
    // join's worth of consumer lag. After a crash only the MQTT side must be back: the new
    // member joins once Kafka expires the dead one (kafkajs sessionTimeout, 30 s), and that lag
    // is part of what a crash costs.
    const needed =
      run.bridgeStarts === 1 ? ['"msg":"bridge ready"', '"msg":"consumer joined"'] : ['"msg":"bridge ready"']
    await waitReady(
      bridge,
      () => {
        const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
        return needed.every((line) => text.includes(line))
      },
      { timeoutMs: 60_000 },
    )
    return bridge
  }

  async function createTopic(topic: string): Promise<void> {
    const admin = createKafkaAdmin({ brokers, clientId: 'pulsewire-peer', librdkafka: {} }, 'pulsewire-peer')
    try {
      // Same partition count as our vitals channel; retention short, as the topic is per run.
      await admin.ensureTopics([
        { name: topic, partitions: VITALS_PARTITIONS, config: { 'retention.ms': String(86_400_000) } },
      ])
    } finally {
      admin.close()
    }
  }

  /** Kafka's and InfluxDB's PIDs from the local stack's PID files, as the Pulsewire target finds them. */
  function stackProcesses(): { processes: LoadTargetProcess[]; notes: string[] } {
    const found = localStackProcesses({ root, env: process.env, kafkaBrokers: brokers, influxUrl })
    for (const note of found.notes) if (note.includes('not measured')) log(`peer: ${note}`)
    return found
  }

  async function stopAll(run: Partial<Running> & { dir: string }): Promise<void> {
    if (run.bridge) {
      // SIGTERM: the bridge drains and calls writeApi.close(), which flushes the buffered points.
      const { forced, exit } = await run.bridge.stop({ graceMs: drainTimeoutMs + 20_000 })
      if (forced || exit !== 0) log(`peer: bridge did not stop cleanly (exit ${exit}); see ${run.dir}`)
    }
    if (run.mosquitto) await run.mosquitto.stop({ graceMs: 10_000 })
    if (!options.keepFiles) rmSync(run.dir, { recursive: true, force: true })
  }

  return {
    name: PEER_NAME,

    async start(deviceIds): Promise<LoadTargetEndpoints> {
      if (running) throw new PipelineError('STACK_START_FAILED', `${PEER_NAME} is already running`)
      const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
      const dir = mkdtempSync(join(tmpdir(), 'pulsewire-peer-'))
      const partial: Partial<Running> & { dir: string } = { dir }
      try {
        // The broker first: a taken port or a missing binary fails before anything is created.
        const mosquittoFiles = writeMosquittoFiles(dir, mqttPort, deviceIds)
        partial.mosquitto = await startMosquitto(mosquittoFiles)
        const topic = `peer.telemetry.v1.${runId}`
        const database = `peer_${runId.replaceAll('-', '_')}`
        await createTopic(topic)
        const influx = createInfluxAdapter(
          influxSchema.parse({ url: influxUrl, bucket: `${database}/autogen` }),
        )
        await influx.ensureBucket()
        const base = { dir, mosquittoFiles, mosquitto: partial.mosquitto, bridgeStarts: 1, topic, database }
        partial.bridge = await startBridge({ ...base, groupId: `peer-bridge-${runId}` })
        const run: Running = {
          ...base,
          groupId: `peer-bridge-${runId}`,
          bridge: partial.bridge,
          processes: {
            mosquitto: { name: 'mosquitto', pid: partial.mosquitto.pid },
            bridge: { name: 'bridge', pid: partial.bridge.pid },
          },
        }
        running = run
        log(`peer: mosquitto :${mqttPort} (pid ${run.mosquitto.pid}), bridge pid ${run.bridge.pid}, ${dir}`)
        const stack = stackProcesses()
        return {
          mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
          credentials: mosquittoFiles.deviceSecrets,
          kafka: { brokers, topics: [topic] },
          influx: { url: influxUrl, database, measurement: 'vitals' },
          consumerGroups: [{ name: 'bridge', groupId: run.groupId, topics: [topic] }],
          processes: [run.processes.mosquitto, run.processes.bridge, ...stack.processes],
          notes: stack.notes,
          // The InfluxDB client's default flushInterval: a partial batch waits this long, by design.
          storeFlushIntervalMs: INFLUX_CLIENT_DEFAULT_FLUSH_MS,
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

    /** SIGKILL and restart: what a crash of the bridge or the broker costs is the peer's loss. */
    async crash(processName: string): Promise<void> {
      const run = running
      if (!run) throw new PipelineError('STACK_STOP_FAILED', `${PEER_NAME} is not running`)
      if (processName === 'bridge') {
        await run.bridge.kill()
        run.bridgeStarts += 1
        run.bridge = await startBridge(run)
        run.processes.bridge.pid = run.bridge.pid
      } else if (processName === 'mosquitto') {
        await run.mosquitto.kill()
        run.mosquitto = await startMosquitto(run.mosquittoFiles)
        run.processes.mosquitto.pid = run.mosquitto.pid
      } else {
        throw new PipelineError('STACK_STOP_FAILED', `${PEER_NAME} has no process "${processName}"`, {
          context: { processes: ['bridge', 'mosquitto'] },
        })
      }
      log(`peer: ${processName} killed and restarted`)
    },
  }
}
