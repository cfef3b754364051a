// Gateway benchmark: memory per idle connected device and CPU per message at fixed publish
// rates, measured on a gateway running as its own process against the local stack's Kafka.
//   npm run build && node dist/bench/gateway/gateway-bench.js [--idle 10000] [--rates 500,1000,2000] [--seconds 20]
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'
import { encodeTelemetry } from '../../core/telemetry/envelope.js'
import { findRepoRoot } from '../../core/repo-root.js'
import { cpuSeconds, machine, percentile, rssBytes } from '../proc-stats.js'

const root = findRepoRoot(import.meta.url)
const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '10000' },
    rates: { type: 'string', default: '500,1000,2000,4000' },
    seconds: { type: 'string', default: '20' },
    publishers: { type: 'string', default: '200' },
  },
})
const idleCount = Number(values.idle)
const rates = values.rates.split(',').map(Number)
const seconds = Number(values.seconds)
const publisherCount = Number(values.publishers)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

function payload(deviceId: string, seq: number): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'bench',
      seq,
      deviceTsMs: now,
      deviceType: 'bedside-monitor',
      samples: [
        { metric: 'heart_rate', value: 72, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
        { metric: 'spo2', value: 97, ucum: '%', quality: 'valid', tsMs: now, backfill: false },
        { metric: 'respiration_rate', value: 15, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
      ],
    }),
  )
}

async function connectAll(
  url: string,
  secrets: Record<string, string>,
  ids: string[],
  perSecond: number,
): Promise<MqttClient[]> {
  const clients: MqttClient[] = []
  let connected = 0
  for (const [i, id] of ids.entries()) {
    const client = mqtt.connect(url, {
      clientId: id,
      username: id,
      password: secrets[id],
      clean: true,
      keepalive: 600,
      reconnectPeriod: 0,
    })
    client.once('connect', () => connected++)
    clients.push(client)
    if (i % perSecond === perSecond - 1) {
      await sleep(1_000)
      log(`  connecting: ${connected}/${ids.length}`)
    }
  }
  while (connected < ids.length) await sleep(200)
  return clients
}

/** Open loop: publishes on a fixed schedule whatever the acks do, so latency is not hidden. */
async function runRate(clients: MqttClient[], ids: string[], rate: number): Promise<Record<string, number>> {
  const latencies: number[] = []
  let sent = 0
  let acked = 0
  const seqs = new Map<string, number>()
  const intervalMs = 10
  const perTick = (rate * intervalMs) / 1000
  let budget = 0
  const started = Date.now()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      budget += perTick
      while (budget >= 1) {
        budget--
        const index = sent % clients.length
        const id = ids[index]!
        const seq = (seqs.get(id) ?? 0) + 1
        seqs.set(id, seq)
        const t0 = performance.now()
        sent++
        clients[index]!.publish(`devices/${id}/telemetry`, payload(id, seq), { qos: 1 }, (err) => {
          if (!err) {
            acked++
            latencies.push(performance.now() - t0)
          }
        })
      }
      if (Date.now() - started >= seconds * 1_000) {
        clearInterval(timer)
        resolve()
      }
    }, intervalMs)
  })
  const deadline = Date.now() + 30_000
  while (acked < sent && Date.now() < deadline) await sleep(100)
  latencies.sort((a, b) => a - b)
  return {
    offered: rate,
    sent,
    acked,
    achievedPerSec: Math.round(acked / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? Number.NaN),
  }
}

const round = (n: number): number => Math.round(n * 100) / 100

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsewire-bench-'))
  const registry = join(dir, 'devices.json')
  const credentials = join(dir, 'credentials.json')
  const total = Math.max(idleCount, publisherCount)
  const cli = join(root, 'dist/cli/main.js')
  execFileSync(process.execPath, [
    cli,
    'devices',
    'provision',
    '--count',
    String(total),
    '--prefix',
    'bench-',
    '--type',
    'bedside-monitor',
    '--registry',
    registry,
    '--out',
    credentials,
  ])
  const secrets = JSON.parse(readFileSync(credentials, 'utf8')) as Record<string, string>
  const ids = Object.keys(secrets).sort()
  const port = 19_800
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `mqtt: { port: ${port}, websocketPort: false }\nhttp: { port: 19801 }\nregistry: { file: ${registry} }\nlog: { level: warn }\n`,
  )
  const gateway = spawn(process.execPath, [cli, 'gateway', '-c', join(dir, 'gateway.yaml')], {
    stdio: 'inherit',
  })
  const pid = gateway.pid as number
  await sleep(3_000)
  const url = `mqtt://127.0.0.1:${port}`
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    command: process.argv.slice(1).join(' '),
  }
  try {
    const rssBefore = rssBytes(pid)
    log(`idle: connecting ${idleCount} devices (gateway RSS ${Math.round(rssBefore / 1e6)} MB)`)
    const cpuBeforeConnect = cpuSeconds(pid)
    const clients = await connectAll(url, secrets, ids.slice(0, idleCount), 1_000)
    const cpuConnect = cpuSeconds(pid) - cpuBeforeConnect
    await sleep(5_000)
    const rssIdle = rssBytes(pid)
    results.idle = {
      devices: idleCount,
      rssBeforeMb: Math.round(rssBefore / 1e6),
      rssConnectedMb: Math.round(rssIdle / 1e6),
      kbPerIdleDevice: round((rssIdle - rssBefore) / idleCount / 1024),
      cpuMsPerConnect: round((cpuConnect * 1000) / idleCount),
    }
    log(`idle: ${JSON.stringify(results.idle)}`)
    const publishers = clients.slice(0, publisherCount)
    const rows: Array<Record<string, number>> = []
    for (const rate of rates) {
      const cpu0 = cpuSeconds(pid)
      const row = await runRate(publishers, ids.slice(0, publisherCount), rate)
      const cpu = cpuSeconds(pid) - cpu0
      row.gatewayCpuPercent = round((cpu / seconds) * 100)
      row.gatewayCpuUsPerMessage = Math.round((cpu * 1e6) / Math.max(1, row.acked ?? 1))
      row.gatewayRssMb = Math.round(rssBytes(pid) / 1e6)
      rows.push(row)
      log(`rate ${rate}/s: ${JSON.stringify(row)}`)
    }
    results.throughput = { publishers: publisherCount, seconds, samplesPerMessage: 3, rows }
    await Promise.all(clients.map((c) => c.endAsync(true)))
  } finally {
    gateway.kill('SIGTERM')
  }
  mkdirSync(join(root, 'bench/results'), { recursive: true })
  const file = join(
    root,
    'bench/results',
    `gateway-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}.json`,
  )
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(results, null, 2)}\nwritten to ${file}\n`)
}

await main()
