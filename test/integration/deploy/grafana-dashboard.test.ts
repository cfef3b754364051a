import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { stackConfigSchema, stackPaths, type StackPaths } from '../../../deploy/local/config.js'
import { prometheusProcess, startPrometheus, stopPrometheus } from '../../../deploy/local/prometheus.js'
import { runningPid } from '../../../core/process/pid-file.js'
import { repoRoot, runCli } from '../../helpers/cli.js'
import { freePort, spawnCli, type CliProcess } from '../../helpers/processes.js'
import { startPublishers, type Publishers } from '../../helpers/publishers.js'
import { silentLogger, testKafka, unique } from '../../helpers/services.js'
import { waitFor, waitForListening, waitForReady } from '../../helpers/wait.js'

// Issue #12, "Pictures elsewhere": the real Prometheus of `stack up --with-prometheus` (its own
// port and data dir) scrapes real gateway and processor processes fed by real MQTT devices, and
// every panel query of deploy/grafana/dashboards/pulsewire.json returns data from it.

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ refId: string; expr: string }> }>
}
const dashboard = JSON.parse(
  readFileSync(join(repoRoot, 'deploy/grafana/dashboards/pulsewire.json'), 'utf8'),
) as Dashboard

const dir = mkdtempSync(join(tmpdir(), 'pulsewire-prom-'))
const processes: CliProcess[] = []
let publishers: Publishers | undefined
let paths: StackPaths | undefined

afterAll(async () => {
  await publishers?.stop(5_000).catch(() => undefined)
  if (paths) await stopPrometheus(paths, () => undefined)
  for (const p of processes) {
    p.child.kill('SIGTERM')
    await Promise.race([p.exited, new Promise((resolve) => setTimeout(resolve, 20_000))])
    if (p.child.exitCode === null) p.child.kill('SIGKILL')
  }
  rmSync(dir, { recursive: true, force: true })
})

type Sample = { metric: Record<string, string>; value: [number, string] }

async function query(port: number, expr: string): Promise<Sample[]> {
  const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`
  const body = (await (await fetch(url)).json()) as {
    status: string
    data?: { result: Sample[] }
    error?: string
  }
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? body.status}`)
  return body.data?.result ?? []
}

describe('integration > deploy > grafana dashboard', () => {
  it('runs every panel query against the stack Prometheus scraping real processes, each with data', async () => {
    const t0 = Date.now()
    const step = (what: string): void => console.info(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${what}`)
    const [mqttPort, gatewayHttp, storageHttp, alertingHttp, promPort] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    )
    const prefix = `${unique('prom')}-`
    const credentials = join(dir, 'credentials.json')
    const provision = runCli([
      ...['devices', 'provision', '--count', '3', '--prefix', prefix, '--type', 'bedside-monitor'],
      ...['--site', 'ward7', '--registry', join(dir, 'devices.yaml'), '--out', credentials],
    ])
    expect(provision.status, provision.stderr).toBe(0)
    // Heart rate 70 (what the publishers send) is above 60: an alarm per device at once.
    writeFileSync(
      join(dir, 'rules.json'),
      JSON.stringify({
        version: 1,
        rules: [
          {
            id: 'hr-test',
            type: 'threshold',
            appliesTo: ['bedside-monitor'],
            metric: 'heart_rate',
            direction: 'above',
            levels: [{ limit: 60, priority: 'medium', delayMs: 0 }],
            clearLimit: 55,
          },
        ],
      }),
    )
    writeFileSync(
      join(dir, 'gateway.yaml'),
      `mqtt: { port: ${mqttPort}, websocketPort: false }\nhttp: { port: ${gatewayHttp} }\nregistry: { file: ${join(dir, 'devices.yaml')} }\nlog: { level: warn }\n`,
    )
    writeFileSync(
      join(dir, 'storage.yaml'),
      `groupId: ${unique('it-prom-storage')}\nconsumer: { fromBeginning: false }\nhttp: { port: ${storageHttp} }\nlog: { level: warn }\n`,
    )
    writeFileSync(
      join(dir, 'alerting.yaml'),
      `groupId: ${unique('it-prom-alerting')}\nrulesFile: ${join(dir, 'rules.json')}\nfromBeginning: false\nhttp: { port: ${alertingHttp} }\nlog: { level: warn }\n`,
    )
    processes.push(spawnCli(['gateway', '-c', join(dir, 'gateway.yaml')]))
    processes.push(
      spawnCli([
        ...['processors', '--storage-config', join(dir, 'storage.yaml')],
        ...['--alerting-config', join(dir, 'alerting.yaml')],
      ]),
    )
    for (const port of [gatewayHttp, storageHttp, alertingHttp]) {
      await waitForReady(`http://127.0.0.1:${port}`, { timeoutMs: 90_000 })
    }
    await waitForListening(mqttPort ?? 0, { timeoutMs: 30_000 })
    step('gateway and processors ready')

    // The stack's own code starts Prometheus, on this test's port and state dir.
    const promConfig = stackConfigSchema.parse({
      stateDir: join(dir, 'state'),
      prometheus: {
        port: promPort,
        targets: [
          { job: 'gateway', address: `127.0.0.1:${gatewayHttp}` },
          { job: 'storage', address: `127.0.0.1:${storageHttp}` },
          { job: 'alerting', address: `127.0.0.1:${alertingHttp}` },
        ],
      },
    })
    const own = stackPaths(promConfig, repoRoot)
    paths = own
    expect(await startPrometheus(promConfig, own, () => undefined)).toBe(true)
    expect(runningPid(prometheusProcess(own))).toBeGreaterThan(0)
    expect(readFileSync(join(own.state, 'prometheus', 'prometheus.yml'), 'utf8')).toContain(
      'scrape_interval: 5s',
    )

    step('prometheus ready')
    // Every series must exist in Prometheus before its first increment: rate() of a series first
    // seen with its final value is 0, and histogram_quantile of that NaN (no data on a panel).
    await waitFor(
      async () => {
        const up = await query(promPort ?? 0, 'up')
        return up.length === 3 && up.every((s) => s.value[1] === '1')
      },
      { timeoutMs: 60_000, what: 'Prometheus to scrape all three processes' },
    )
    step('all targets up')
    const devices = new Map(
      Object.entries(JSON.parse(readFileSync(credentials, 'utf8')) as Record<string, string>),
    )
    // A rejection at the gateway (undecodable payload from an authenticated device) and one at
    // storage (an undecodable record on the channel), so the DLQ panel has a reason of each; sent
    // before the devices start, since the bad client takes that device's session.
    const [deviceId, secret] = [...devices.entries()][0] ?? ['', '']
    const bad = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      clientId: deviceId, // the gateway admits a device only under its own id
      username: deviceId,
      password: secret,
      protocolVersion: 4,
    })
    await bad.publishAsync(`devices/${deviceId}/telemetry`, Buffer.from('not protobuf'), { qos: 1 })
    await bad.endAsync()
    // Storage reads new records only: it must own the channel (its lag series shows) before the bad record.
    await waitFor(
      async () =>
        (await (await fetch(`http://127.0.0.1:${storageHttp}/metrics`)).text()).includes(
          `pulsewire_kafka_consumer_lag{group="`,
        ) || undefined,
      { timeoutMs: 60_000, what: 'storage to report consumer lag (it owns its partitions)' },
    )
    step('storage owns its partitions')
    const producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-prom', logger: silentLogger })
    await producer.start()
    await producer.produce({ topic: CHANNELS.vitals, key: deviceId, value: Buffer.from('garbage') })
    await producer.stop()
    publishers = startPublishers(`mqtt://127.0.0.1:${mqttPort}`, devices, 200)

    const empty = async (): Promise<string[]> => {
      const missing: string[] = []
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          const result = await query(promPort ?? 0, target.expr)
          if (!result.some((s) => Number.isFinite(Number(s.value[1])))) {
            missing.push(`${panel.title} [${target.refId}] ${target.expr}`)
          }
        }
      }
      return missing
    }
    let last: string[] = []
    await waitFor(
      async () => {
        last = await empty()
        return last.length === 0
      },
      {
        timeoutMs: 120_000,
        intervalMs: 2_000,
        what: 'every panel query to return data',
        describe: () => last,
      },
    )
    step('every panel query has data')
    expect(await empty()).toEqual([])
  }, 360_000)
})
