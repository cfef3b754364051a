import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { influxSchema, kafkaSchema, type KafkaConfig } from '../../core/config/shared.js'
import { findRepoRoot } from '../../core/repo-root.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { openDeviceStoreFile } from '../../gateway/device-store/open-device-store.js'
import { provisionDevices } from '../../gateway/device-store/provision.js'
import { saveDeviceStoreFile } from '../../gateway/device-store/device-store-file.js'
import type { KnownDeviceType } from '../../core/telemetry/device-types.js'
import { telemetryChannel } from '../../gateway/forward.js'
import { STORAGE_MEASUREMENTS } from '../../core/influx/layout.js'
import { startGroupAtEnd } from './group-offsets.js'
import { createInfluxQl, ident } from './influx-ql.js'
import { ServiceProcess, freePort, listening } from './service-process.js'
import { localStackProcesses } from './stack-processes.js'
import { rulesForLoad } from './load-rules.js'
import type { LoadTarget, LoadTargetEndpoints, LoadTargetProcess } from './target.js'

/** The processes of Pulsewire a fault may kill; Kafka and InfluxDB belong to the shared local stack. */
export const PULSEWIRE_PROCESSES = ['gateway', 'storage', 'alerting'] as const
export type PulsewireProcess = (typeof PULSEWIRE_PROCESSES)[number]

const ALERTING_INPUTS = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status]

type ConfigOverrides = Partial<Record<PulsewireProcess, Record<string, unknown>>>

export interface PulsewireTargetOptions {
  /** Type the devices are enrolled with: it picks their channel (vitals or environment). */
  deviceType?: KnownDeviceType
  /** Per-device type, for mixed fleets; overrides `deviceType`. */
  typeOf?: (deviceId: string) => KnownDeviceType | undefined
  /** Merged into each process's generated config (e.g. `{ storage: { batch: { maxWaitMs: 250 } } }`). */
  config?: ConfigOverrides
  /**
   * Gateway processes (default 1), sharing the device store, each on its own free ports; devices
   * get them all as a gateway list, device i starting at gateway i mod n (ADR 0022). A `gateway`
   * fault kills the first; its devices move to the others.
   */
  gateways?: number
  /** Keep the run's InfluxDB database and temp directory (logs, configs) after stop. */
  keepData?: boolean
  env?: NodeJS.ProcessEnv
  log?: (line: string) => void
  /** Run each process under `node --cpu-prof`, its profiles in `<dir>/<process>/` (written when it stops). */
  cpuProfileDir?: string
}

const merge = (
  base: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k]
    const isObject = (x: unknown): x is Record<string, unknown> =>
      typeof x === 'object' && x !== null && !Array.isArray(x)
    out[k] = isObject(b) && isObject(v) ? merge(b, v) : v
  }
  return out
}

/**
 * Pulsewire as a load-test target: the gateway (or several), storage and alerting as separate processes of
 * the built CLI, with their own ports, a temporary device store, a database and consumer
 * groups unique to the run, on the local stack's Kafka and InfluxDB (measured too).
 */
export class PulsewireTarget implements LoadTarget {
  readonly name = 'pulsewire'
  readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`
  readonly #root = findRepoRoot(import.meta.url)
  readonly #env: NodeJS.ProcessEnv
  readonly #services = new Map<PulsewireProcess, ServiceProcess>()
  readonly #ports = new Map<PulsewireProcess, number>()
  /** Gateways 2…n (`gateways`), named gateway-2…; the first is the `gateway` service. */
  readonly #moreGateways: ServiceProcess[] = []
  #dir: string | undefined
  readonly kafka: KafkaConfig
  readonly influxUrl: string
  readonly database = `pulsewire_lt_${this.runId}`

  constructor(readonly options: PulsewireTargetOptions = {}) {
    this.#env = options.env ?? process.env
    this.kafka = kafkaSchema.parse({ brokers: this.#env.PULSEWIRE__KAFKA__BROKERS })
    this.influxUrl = influxSchema.parse({ url: this.#env.PULSEWIRE__INFLUX__URL }).url
  }

  /** The /metrics and /readyz port of a started process. */
  httpPort(name: PulsewireProcess): number | undefined {
    return this.#ports.get(name)
  }

  async start(deviceIds: readonly string[], load?: { sendIntervalMs: number }): Promise<LoadTargetEndpoints> {
    const log = this.options.log ?? (() => undefined)
    const dir = mkdtempSync(join(tmpdir(), `pulsewire-loadtest-${this.runId}-`))
    this.#dir = dir
    const typeOf = this.options.typeOf ?? (() => this.options.deviceType ?? 'bedside-monitor')
    const storeFile = join(dir, 'devices.json')
    const store = openDeviceStoreFile(storeFile)
    const { credentials } = provisionDevices(
      store,
      deviceIds.map((deviceId) => ({ deviceId, type: typeOf(deviceId) })),
    )
    saveDeviceStoreFile(storeFile, store.toData())
    const mqttPort = await freePort()
    for (const name of PULSEWIRE_PROCESSES) this.#ports.set(name, await freePort())
    const more: Array<{ name: string; mqttPort: number; httpPort: number }> = []
    for (let i = 2; i <= (this.options.gateways ?? 1); i++)
      more.push({ name: `gateway-${i}`, mqttPort: await freePort(), httpPort: await freePort() })
    const port = (name: PulsewireProcess): number => this.#ports.get(name) ?? 0
    const configFile = (
      name: PulsewireProcess,
      base: Record<string, unknown>,
      fileName: string = name,
    ): string => {
      const file = join(dir, `${fileName}.json`)
      // JSON is YAML: the processes read it like any config file (unknown keys are errors).
      writeFileSync(file, JSON.stringify(merge(base, this.options.config?.[name]), null, 2))
      return file
    }
    const kafka = { brokers: this.kafka.brokers }
    const log_ = { level: 'info' }
    const storageGroup = `pulsewire-lt-${this.runId}-storage`
    const alertingGroup = `pulsewire-lt-${this.runId}-alerting`
    const service = (name: PulsewireProcess, args: string[], waitForAssignment: boolean): ServiceProcess => {
      const s = new ServiceProcess(
        { name, args, httpPort: port(name), waitForAssignment },
        {
          cli: join(this.#root, 'dist/cli/main.js'),
          cwd: this.#root,
          env: this.#env,
          nodeArgs: this.#nodeArgs(name),
          logFile: join(dir, `${name}.log`),
        },
      )
      this.#services.set(name, s)
      return s
    }
    const gatewayArgs = (mqtt: number, http: number, fileName = 'gateway'): string[] => [
      'gateway',
      '-c',
      configFile(
        'gateway',
        {
          mqtt: { port: mqtt, websocketPort: false },
          http: { port: http },
          registry: { file: storeFile },
          kafka,
          log: log_,
        },
        fileName,
      ),
    ]
    const gateway = service('gateway', gatewayArgs(mqttPort, port('gateway')), false)
    for (const g of more) {
      this.#moreGateways.push(
        new ServiceProcess(
          {
            name: g.name,
            args: gatewayArgs(g.mqttPort, g.httpPort, g.name),
            httpPort: g.httpPort,
            waitForAssignment: false,
          },
          {
            cli: join(this.#root, 'dist/cli/main.js'),
            cwd: this.#root,
            env: this.#env,
            logFile: join(dir, `${g.name}.log`),
          },
        ),
      )
    }
    const storage = service(
      'storage',
      [
        'processors',
        '--only',
        'storage',
        '--storage-config',
        configFile('storage', {
          kafka,
          influx: { url: this.influxUrl, bucket: `${this.database}/autogen` },
          groupId: storageGroup,
          consumer: { fromBeginning: false },
          http: { port: port('storage') },
          log: log_,
        }),
      ],
      true,
    )
    const rulesFile =
      load &&
      rulesForLoad({
        rulesFile: join(this.#root, 'deploy/rules/default.yaml'),
        dir,
        sendIntervalMs: load.sendIntervalMs,
        types: [...new Set(deviceIds.map((id) => typeOf(id) ?? 'bedside-monitor'))],
      })
    if (rulesFile)
      log(
        `pulsewire target: comm-loss expects the load's cadence, one message per ${Math.round(load.sendIntervalMs)} ms per device`,
      )
    const alerting = service(
      'alerting',
      [
        'processors',
        '--only',
        'alerting',
        '--alerting-config',
        configFile('alerting', {
          kafka,
          groupId: alertingGroup,
          fromBeginning: false,
          ...(rulesFile ? { rulesFile } : {}),
          http: { port: port('alerting') },
          log: log_,
        }),
      ],
      true,
    )
    try {
      log(`pulsewire target: gateway on mqtt://127.0.0.1:${mqttPort}, logs in ${dir}`)
      await gateway.start() // creates the channels the groups are set on
      await Promise.all(this.#moreGateways.map((g) => g.start()))
      // /readyz can answer before the MQTT listener is bound (the listeners start last): a device
      // refused then would move down its gateway list and the fleet would start unevenly spread.
      await Promise.all([mqttPort, ...more.map((g) => g.mqttPort)].map((p) => listening(p, 30_000)))
      await startGroupAtEnd(this.kafka, storageGroup, Object.keys(STORAGE_MEASUREMENTS))
      await startGroupAtEnd(this.kafka, alertingGroup, ALERTING_INPUTS)
      await Promise.all([storage.start(), alerting.start()])
    } catch (err) {
      await this.stop()
      throw err
    }
    const type = typeOf(deviceIds[0] ?? '') ?? 'bedside-monitor'
    const topic = telemetryChannel(type)
    const { processes, notes } = this.#stackProcesses()
    const mqttUrls = [mqttPort, ...more.map((g) => g.mqttPort)].map((p) => `mqtt://127.0.0.1:${p}`)
    return {
      mqttUrl: mqttUrls.join(','),
      credentials,
      kafka: { brokers: this.kafka.brokers, topics: [topic] },
      influx: {
        url: this.influxUrl,
        database: this.database,
        measurement: STORAGE_MEASUREMENTS[topic as keyof typeof STORAGE_MEASUREMENTS],
      },
      alertTopic: CHANNELS.alertEvents,
      consumerGroups: [
        { name: 'storage', groupId: storageGroup, topics: Object.keys(STORAGE_MEASUREMENTS) },
        {
          name: 'alerting',
          groupId: alertingGroup,
          topics: ALERTING_INPUTS,
          metricsUrl: `http://127.0.0.1:${port('alerting')}/metrics`,
        },
      ],
      processes: [
        ...PULSEWIRE_PROCESSES.map((name) => ({ name, pid: this.#service(name).pid })),
        ...this.#moreGateways.map((g, i) => ({ name: more[i]?.name ?? 'gateway-n', pid: g.pid })),
        ...processes,
      ],
      notes,
    }
  }

  async crash(processName: string): Promise<LoadTargetProcess> {
    const name = PULSEWIRE_PROCESSES.find((p) => p === processName)
    if (!name) {
      throw new Error(
        `cannot crash "${processName}": one of ${PULSEWIRE_PROCESSES.join(', ')} (Kafka and InfluxDB are shared)`,
      )
    }
    const service = this.#service(name)
    await service.crash()
    return { name, pid: service.pid }
  }

  async stop(): Promise<void> {
    // Processors first, so nothing they still consume is written after the database is dropped.
    const processors = [this.#services.get('storage'), this.#services.get('alerting')]
    await Promise.all(processors.map((s) => s?.stop() ?? Promise.resolve()))
    const gateways = [this.#services.get('gateway'), ...this.#moreGateways]
    await Promise.all(gateways.map((g) => g?.stop() ?? Promise.resolve()))
    this.#services.clear()
    this.#moreGateways.length = 0
    if (this.options.keepData) return
    await createInfluxQl(this.influxUrl, this.database)
      .exec(`DROP DATABASE ${ident(this.database)}`)
      .catch(() => undefined)
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true })
  }

  #nodeArgs(name: PulsewireProcess): string[] {
    const profiles = this.options.cpuProfileDir
    return profiles === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profiles, name)}`]
  }

  #service(name: PulsewireProcess): ServiceProcess {
    const s = this.#services.get(name)
    if (!s) throw new Error(`${name} was not started`)
    return s
  }

  /** The local stack's broker and InfluxDB, and what to keep in mind about the figures. */
  #stackProcesses(): { processes: LoadTargetProcess[]; notes: string[] } {
    const { processes, notes } = localStackProcesses({
      root: this.#root,
      env: this.#env,
      kafkaBrokers: this.kafka.brokers,
      influxUrl: this.influxUrl,
    })
    notes.push(
      "storage, alerting: they read the shared channels, so other clients' records there add to their CPU",
    )
    return { processes, notes }
  }
}
