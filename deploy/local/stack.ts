import { existsSync, rmSync } from 'node:fs'
import { fetchMetadata, createKafkaAdmin } from '../../core/kafka/admin.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { PipelineError } from '../../core/errors.js'
import { CHANNEL_SPECS } from '../../core/telemetry/topics.js'
import { STACK_VERSIONS, stackPaths, type StackConfig, type StackPaths } from './config.js'
import { installInfluxdb, influxProcess, startInfluxdb } from './influxdb.js'
import { installKafka, kafkaProcess, startKafka } from './kafka.js'
import { runningPid, stopByPid, type ManagedProcess } from '../../core/process/pid-file.js'
import { commandExists } from './host.js'
import {
  prometheusEnabled,
  prometheusPaths,
  prometheusStatus,
  startPrometheus,
  stopPrometheus,
} from './prometheus.js'

export interface StackOptions {
  config: StackConfig
  repoRoot: string
  log: (line: string) => void
}

export interface ServiceStatus {
  name: string
  pid: number | undefined
  address: string
  ready: boolean
  logFile: string
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
    /** true: run Prometheus and remember it; false: stop it and forget; absent: as remembered. */
    prometheus?: boolean
  },
): Promise<{ started: StackServer[] }> {
  const { config, repoRoot, log } = options
  const paths = stackPaths(config, repoRoot)
  if (options.fresh) {
    await stackDown(options)
    rmSync(paths.kafkaData, { recursive: true, force: true })
    rmSync(paths.influxData, { recursive: true, force: true })
    rmSync(prometheusPaths(paths).data, { recursive: true, force: true })
    log('fresh start: data directories removed')
  }
  requireCommands(paths)
  installKafka(paths, log)
  installInfluxdb(paths, log)
  // Started together: the JVM's start-up and influxd's overlap.
  const [kafka, influx] = await Promise.all([
    startKafka(config, paths, log),
    startInfluxdb(config, paths, log),
  ])
  const started: StackServer[] = []
  if (kafka) started.push('kafka')
  if (influx) started.push('influxdb')
  const admin = createKafkaAdmin(kafkaOf(config), 'pulsewire-stack')
  try {
    const { created, reconciled, warnings } = await admin.ensureTopics(channelTopicSpecs(CHANNEL_SPECS))
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
  const all: Array<[StackServer, ManagedProcess]> = [
    ['kafka', kafkaProcess(paths)],
    ['influxdb', influxProcess(paths)],
  ]
  // Stopped, not forgotten: the next `stack up` starts it again (ADR 0019).
  if (!options.only || options.only.includes('prometheus')) await stopPrometheus(paths, options.log)
  const procs = all.filter(([name]) => !options.only || options.only.includes(name)).map(([, proc]) => proc)
  await Promise.all(
    procs.map(async (proc) => {
      const pid = runningPid(proc)
      if (await stopByPid(proc, 30_000)) options.log(`${proc.name.padEnd(9)} stopped (pid ${pid})`)
      else options.log(`${proc.name.padEnd(9)} was not running`)
    }),
  )
}

export async function stackStatus(options: StackOptions): Promise<ServiceStatus[]> {
  const { config, repoRoot } = options
  const paths = stackPaths(config, repoRoot)
  const kafka = kafkaProcess(paths)
  const influx = influxProcess(paths)
  const kafkaPid = runningPid(kafka)
  const influxPid = runningPid(influx)
  const kafkaReady =
    kafkaPid !== undefined &&
    (await fetchMetadata(kafkaOf(config), 'pulsewire-stack', 3_000).then(
      () => true,
      () => false,
    ))
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
    {
      name: `kafka ${STACK_VERSIONS.kafka}`,
      pid: kafkaPid,
      address: `127.0.0.1:${config.kafkaBroker.port}`,
      ready: kafkaReady,
      logFile: kafka.logFile,
    },
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

function kafkaOf(config: StackConfig) {
  return { brokers: `127.0.0.1:${config.kafkaBroker.port}`, clientId: 'pulsewire-stack', librdkafka: {} }
}
