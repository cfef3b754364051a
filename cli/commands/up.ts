import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { pino } from 'pino'
import {
  createFatalSlot,
  runService,
  type Component,
  type FatalHandler,
  type FatalReport,
  type ServiceParts,
} from '../../core/lifecycle.js'
import { stackDown, stackUp } from '../../deploy/local/stack.js'
import { stackPaths } from '../../deploy/local/config.js'
import { stackClientEnv } from '../../deploy/local/stack-shape.js'
import { createSimComponent } from '../../devices-sim/component.js'
import { loadFleetFile, type Fleet } from '../../devices-sim/fleet/fleet-file.js'
import { planDevices } from '../../devices-sim/runtime/fleet-runner.js'
import { formatProgress } from '../../devices-sim/runtime/progress.js'
import { buildGateway } from '../../gateway/main.js'
import { buildProcessors } from '../../processors/main.js'
import { buildAlertSinks } from '../../processors/sinks/main.js'
import { enrolDemoUsers } from '../../processors/web/demo-users.js'
import { loadWebConfig } from '../../processors/web/config.js'
import { buildWeb } from '../../processors/web/main.js'
import { defaultDeviceStorePath } from '../../gateway/device-store/device-store-file.js'
import { loadStackConfig, repoRoot, say } from '../context.js'
import { localStackComponent } from './up-stack.js'
import { enrolmentTargets, provisionToFiles } from '../../gateway/device-store/fleet-enrolment.js'
import { fleetDevices } from '../../devices-sim/fleet/fleet-devices.js'

interface UpOptions {
  config?: string
  fleet: string
  fresh?: boolean
  sim: boolean
}

type Parts = Pick<ServiceParts, 'components' | 'setFatalHandler'>

/**
 * Components built when their turn comes (they read files the earlier components write). A
 * part of them that fails reports to `fatal` as "<name>/<part>" (processors/alerting).
 */
function deferred(name: string, fatal: FatalHandler, build: () => Parts): Component {
  let built: readonly Component[] = []
  return {
    name,
    async start() {
      const parts = build()
      parts.setFatalHandler?.((source, err) => fatal(`${name}/${source}`, err))
      built = parts.components
      for (const component of built) await component.start()
    },
    async stop() {
      for (const component of [...built].reverse()) await component.stop()
    },
  }
}

/**
 * The README's main-job command: the local stack, the gateway and a simulated ward and factory
 * floor, storage and alerting, and the alert stream as it happens, in the foreground; Ctrl-C
 * stops all of it.
 */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Start everything a newcomer needs in the foreground; Ctrl-C stops all of it.')
    .option('-c, --config <file>', 'stack settings (YAML)')
    .option('-f, --fleet <file>', 'simulated fleet', 'deploy/fleets/ward-and-factory.yaml')
    .option('--fresh', 'start from empty Kafka and InfluxDB data')
    .option('--no-sim', 'do not start the device simulator')
    .action(async (options: UpOptions) => {
      const stackConfig = loadStackConfig(options.config)
      const root = repoRoot()
      const storeFile = defaultDeviceStorePath(root)
      const credentialsFile = join(root, '.pulsewire', 'demo-credentials.json')
      const fleet = loadFleetFile(options.fleet)
      // A three-node stack (`stack up --brokers 3`) tells its processes all three brokers.
      const quietEnv = {
        ...stackClientEnv(stackConfig, stackPaths(stackConfig, root)),
        ...process.env,
        PULSEWIRE__LOG__LEVEL: process.env.PULSEWIRE__LOG__LEVEL ?? 'warn',
      }
      const webCredentials = join(root, '.pulsewire', 'web-demo-credentials.json')
      const webEnv = {
        ...quietEnv,
        PULSEWIRE__USERS__FILE: join(root, '.pulsewire', 'web-users.json'),
        PULSEWIRE__AUDIT__FILE: join(root, '.pulsewire', 'web-audit.jsonl'),
      }
      const fatal = createFatalSlot()
      const components: Component[] = [
        localStackComponent({
          up: () => stackUp({ config: stackConfig, repoRoot: root, log: say, fresh: options.fresh ?? false }),
          down: (only) => stackDown({ config: stackConfig, repoRoot: root, log: say, only }),
          say,
        }),
        {
          name: 'device-credentials',
          start() {
            const result = provisionToFiles(
              enrolmentTargets(fleetDevices(options.fleet), { demoContext: true }),
              storeFile,
              credentialsFile,
            )
            say(`devices   ${Object.keys(result.credentials).length} enrolled in ${storeFile}`)
            return Promise.resolve()
          },
          stop: () => Promise.resolve(),
        },
        deferred('gateway', fatal.report, () => buildGateway(undefined, quietEnv)),
        deferred('processors', fatal.report, () => buildProcessors({ env: quietEnv })),
        liveAlerts(stackConfig.kafkaBroker.port, fatal.report),
        {
          name: 'web-users',
          start: () => Promise.resolve(enrolDemoUsers(webEnv.PULSEWIRE__USERS__FILE, webCredentials)),
          stop: () => Promise.resolve(),
        },
        deferred('web', fatal.report, () => buildWeb({ env: webEnv })),
      ]
      if (options.sim) {
        components.push(
          deferred('simulator', fatal.report, () => ({
            components: [
              createSimComponent({
                fleet,
                credentials: JSON.parse(readFileSync(credentialsFile, 'utf8')) as Record<string, string>,
                onProgress: progressPrinter(),
              }),
            ],
          })),
        )
      }
      components.push({
        name: 'banner',
        start: () => {
          // The address the console really bound to (its config may move it off 8080).
          const { host, port } = loadWebConfig(undefined, webEnv).http
          const web = {
            url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
            credentials: webCredentials,
          }
          return Promise.resolve(say(banner(stackConfig, options.fleet, fleet, web)))
        },
        stop: () => Promise.resolve(),
      })
      const runner = runService({
        logger: pino({ level: 'warn' }),
        components,
        shutdownTimeoutMs: 90_000,
        setFatalHandler: fatal.set,
        onFatal: printFatal,
      })
      process.exitCode = await runner.done
    })
}

/**
 * The alert stream as it happens: the console sink through the sink runner, in a throw-away
 * group that reads new transitions only, on stderr, each line replacing the progress line.
 */
function liveAlerts(kafkaPort: number, fatal: FatalHandler): Component {
  const built = buildAlertSinks({
    raw: {
      kafka: { brokers: `127.0.0.1:${kafkaPort}`, clientId: 'pulsewire-up' },
      fromBeginning: false,
      sinks: [
        {
          type: 'console',
          groupId: `pulsewire-up-console-${randomBytes(3).toString('hex')}`,
          stream: 'stderr',
          clearLine: true,
        },
      ],
    },
    source: 'pulsewire up',
    logger: pino({ level: 'warn' }),
  })
  built.setFatalHandler((source, err) => fatal(`live-alerts/${source}`, err))
  // No observability server of its own: the processes of `up` already serve theirs.
  const components = built.components.filter((c) => c !== built.service.http)
  return {
    name: 'live-alerts',
    async start() {
      for (const component of components) await component.start()
    },
    async stop() {
      for (const component of [...components].reverse()) await component.stop()
    },
  }
}

/** The one line a person reads when a stage dies: which stage, the stable code, what happened. */
function printFatal(report: FatalReport): void {
  const message = report.message.split('\n')[0] ?? ''
  process.stderr.write(
    `\npulsewire up: ${report.source} failed [${report.code}]: ${message}; stopping everything\n`,
  )
}

function progressPrinter(): (s: Parameters<typeof formatProgress>[0]) => void {
  const live = process.stderr.isTTY === true
  let last = 0
  return (s) => {
    if (live) process.stderr.write(`\r\x1b[2Ksim  ${formatProgress(s)}`)
    else if (s.elapsedS - last >= 10) {
      last = s.elapsedS
      process.stderr.write(`sim  ${formatProgress(s)}\n`)
    }
  }
}

function banner(
  config: ReturnType<typeof loadStackConfig>,
  fleetFile: string,
  fleet: Fleet,
  web: { url: string; credentials: string },
): string {
  const devices = fleet.groups.reduce((n, g) => n + g.count, 0)
  // A query that returns data at once: the first bedside monitor's SpO2, else the first device's.
  const planned = planDevices(fleet)
  const monitor = planned.find((d) => fleet.groups[d.groupIndex]?.profile.type === 'bedside-monitor')
  const example = monitor ?? planned[0]
  const metric = monitor ? 'spo2' : 'ambient_temperature'
  const kafka = config.kafkaBroker.port
  const influx = config.influxdbServer.port
  return [
    '',
    'Pulsewire is up.',
    `  Kafka       127.0.0.1:${kafka}            kcat -b 127.0.0.1:${kafka} -C -t telemetry.vitals.v2 -o -5 -e`,
    `  InfluxDB    http://127.0.0.1:${influx}     database "${config.influxdbServer.database}" (bucket ${config.influxdbServer.database}/autogen)`,
    '  Gateway     mqtt://127.0.0.1:1883  ws://127.0.0.1:8083/mqtt   metrics http://127.0.0.1:9101/metrics',
    '  Storage     Kafka → InfluxDB (measurements vitals, environment)   metrics http://127.0.0.1:9102/metrics',
    '  Alerting    deploy/rules/default.yaml → alerts.events.v1         metrics http://127.0.0.1:9103/metrics',
    `  Web         ${web.url}   sign in as demo-clinician or demo-viewer, passwords in ${web.credentials}`,
    '  Alerts      console sink below, one line per transition; more sinks from another terminal:',
    '              npx pulsewire alerts --webhook http://127.0.0.1:9000/hook --webhook-secret-env HOOK_SECRET --jsonl alerts.jsonl',
    `  Query       npx pulsewire query --device ${example?.deviceId ?? '<id>'} --metric ${metric} --since -10m --every 1m --fn mean`,
    '  Load test   npx pulsewire loadtest --devices 500 --rate 1000 --duration 30   (its own gateway and processors)',
    `  Simulator   ${fleetFile} (${devices} devices); progress below`,
    '  Ctrl-C stops everything.',
    '',
  ].join('\n')
}
