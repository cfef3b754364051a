import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KafkaConfig } from '../../core/config/shared.js'
import { committedOffsets, endOffsets } from '../../core/kafka/admin.js'
import type { KnownDeviceType } from '../../core/telemetry/device-types.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { saveDeviceStoreFile } from '../../gateway/device-store/device-store-file.js'
import { openDeviceStoreFile } from '../../gateway/device-store/open-device-store.js'
import { provisionDevices } from '../../gateway/device-store/provision.js'
import { startGroupAtEnd } from '../loadtest/group-offsets.js'
import { ServiceProcess, freePort } from '../loadtest/service-process.js'

/** What alerting consumes; its fresh group starts at the end of each, so it starts clean. */
export const ALERTING_INPUTS = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status] as const

export interface ScoreTarget {
  mqttUrl: string
  credentials: Record<string, string>
  alertingGroup: string
  /** Waits until alerting has committed everything that is in its input channels now. */
  caughtUp(timeoutMs: number): Promise<boolean>
  dir: string
  stop(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The real gateway and the real alerting processor as processes of the built CLI (as `pulsewire
 * up` runs them, through the load tester's process launcher), on the local stack's Kafka, with
 * a device store, ports and an alerting consumer group of this run alone.
 */
export async function startScoreTarget(options: {
  root: string
  kafka: KafkaConfig
  devices: readonly { deviceId: string; type: KnownDeviceType }[]
  rulesFile: string
  env: NodeJS.ProcessEnv
  keep: boolean
  log: (line: string) => void
}): Promise<ScoreTarget> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), `pulsewire-score-${runId}-`))
  const storeFile = join(dir, 'devices.json')
  const store = openDeviceStoreFile(storeFile)
  const { credentials } = provisionDevices(
    store,
    options.devices.map((d) => ({ deviceId: d.deviceId, type: d.type, site: 'ward-score' })),
  )
  saveDeviceStoreFile(storeFile, store.toData())
  const [mqttPort, gatewayHttp, alertingHttp] = [await freePort(), await freePort(), await freePort()]
  const alertingGroup = `pulsewire-score-${runId}-alerting`
  const kafka = { brokers: options.kafka.brokers }
  const write = (name: string, config: Record<string, unknown>): string => {
    const file = join(dir, `${name}.json`)
    writeFileSync(file, JSON.stringify(config, null, 2))
    return file
  }
  const service = (name: string, args: string[], httpPort: number, waitForAssignment: boolean) =>
    new ServiceProcess(
      { name, args, httpPort, waitForAssignment },
      {
        cli: join(options.root, 'dist/cli/main.js'),
        cwd: options.root,
        env: options.env,
        logFile: join(dir, `${name}.log`),
      },
    )
  const gateway = service(
    'gateway',
    [
      'gateway',
      '-c',
      write('gateway', {
        mqtt: { port: mqttPort, websocketPort: false },
        http: { port: gatewayHttp },
        registry: { file: storeFile },
        kafka,
        log: { level: 'info' },
      }),
    ],
    gatewayHttp,
    false,
  )
  const alerting = service(
    'alerting',
    [
      'processors',
      '--only',
      'alerting',
      '--alerting-config',
      write('alerting', {
        kafka,
        groupId: alertingGroup,
        fromBeginning: false,
        rulesFile: options.rulesFile,
        http: { port: alertingHttp },
        log: { level: 'info' },
      }),
    ],
    alertingHttp,
    true,
  )
  const stop = async (): Promise<void> => {
    await alerting.stop()
    await gateway.stop()
    if (!options.keep) rmSync(dir, { recursive: true, force: true })
  }
  try {
    options.log(
      `score: gateway on mqtt://127.0.0.1:${mqttPort}, alerting group ${alertingGroup}, logs in ${dir}`,
    )
    await gateway.start() // creates the channels the group is set on
    await startGroupAtEnd(options.kafka, alertingGroup, ALERTING_INPUTS)
    await alerting.start()
  } catch (err) {
    await stop()
    throw err
  }
  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    credentials,
    alertingGroup,
    dir,
    async caughtUp(timeoutMs) {
      const target = (await Promise.all(ALERTING_INPUTS.map((t) => endOffsets(options.kafka, t)))).flat()
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const committed = await committedOffsets(options.kafka, alertingGroup, target).catch(() => [])
        const at = new Map(committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]))
        if (target.every((t) => t.offset === 0 || (at.get(`${t.topic}/${t.partition}`) ?? -1) >= t.offset))
          return true
        await sleep(500)
      }
      return false
    },
    stop,
  }
}
