// What the bad-input barrage costs good devices: PUBACK latency of 200 devices publishing on a
// fixed schedule, first alone, then while the barrage of the barrage test runs over and over,
// in the same run against the same gateway (its own process, so its CPU and RSS are its own).
//   npm run bench:barrage [-- --seconds 20 --devices 200 --interval 250]
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'
import { findRepoRoot } from '../../core/repo-root.js'
import { encodeTelemetry } from '../../core/telemetry/envelope.js'
import { cpuSeconds, machine, percentile, rssBytes } from '../proc-stats.js'
import { runBarrage, type BarrageStats } from './attackers.js'

const root = findRepoRoot(import.meta.url)
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    devices: { type: 'string', default: '200' },
    interval: { type: 'string', default: '250' },
  },
})
const seconds = Number(values.seconds)
const deviceCount = Number(values.devices)
const intervalMs = Number(values.interval)
const MB = 1024 * 1024
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string): void => void process.stderr.write(`${line}\n`)
const round = (n: number): number => Math.round(n * 100) / 100

function payload(deviceId: string, seq: number): Buffer {
  const now = Date.now()
  const sample = { ucum: '/min', quality: 'valid' as const, tsMs: now, backfill: false }
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'bench-barrage',
      seq,
      deviceTsMs: now,
      deviceType: 'bedside-monitor',
      samples: [{ metric: 'heart_rate', value: 72, ...sample }],
    }),
  )
}

interface Phase {
  latencies: number[]
  sent: number
  acked: number
  failed: number
}

/** Each device publishes every intervalMs whatever its acks do (open loop: latency is not hidden). */
async function publishFor(clients: MqttClient[], ids: string[], seqs: Map<string, number>): Promise<Phase> {
  const phase: Phase = { latencies: [], sent: 0, acked: 0, failed: 0 }
  const timers = clients.map((client, i) => {
    const id = ids[i]!
    return setInterval(() => {
      const seq = (seqs.get(id) ?? 0) + 1
      seqs.set(id, seq)
      const t0 = performance.now()
      phase.sent++
      client.publish(`devices/${id}/telemetry`, payload(id, seq), { qos: 1 }, (err) => {
        if (err) phase.failed++
        else {
          phase.acked++
          phase.latencies.push(performance.now() - t0)
        }
      })
    }, intervalMs)
  })
  await sleep(seconds * 1000)
  for (const timer of timers) clearInterval(timer)
  const deadline = Date.now() + 30_000
  while (phase.acked + phase.failed < phase.sent && Date.now() < deadline) await sleep(100)
  return phase
}

/** Gateway CPU (percent of one core) and peak RSS over `work`, sampled from /proc. */
async function measured<T>(pid: number, work: Promise<T>) {
  const cpu0 = cpuSeconds(pid)
  const t0 = Date.now()
  let peak = rssBytes(pid)
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 200)
  const result = await work
  clearInterval(timer)
  const cpuPercent = round(((cpuSeconds(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100)
  return {
    result,
    gateway: { cpuPercent, rssPeakMb: Math.round(peak / MB), rssEndMb: Math.round(rssBytes(pid) / MB) },
  }
}

function summary(phase: Phase) {
  const sorted = [...phase.latencies].sort((a, b) => a - b)
  return {
    sent: phase.sent,
    acked: phase.acked,
    failed: phase.failed,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsewire-barrage-'))
  const registry = join(dir, 'devices.json')
  const credentials = join(dir, 'credentials.json')
  const cli = join(root, 'dist/cli/main.js')
  const victimsCount = 20
  execFileSync(process.execPath, [
    cli, 'devices', 'provision', '--count', String(deviceCount + victimsCount), '--prefix', 'barrage-',
    '--type', 'bedside-monitor', '--registry', registry, '--out', credentials,
  ]) // prettier-ignore
  const secrets = JSON.parse(readFileSync(credentials, 'utf8')) as Record<string, string>
  const all = Object.keys(secrets).sort()
  const ids = all.slice(0, deviceCount)
  const victims = all.slice(deviceCount).map((id) => ({ id, secret: secrets[id] ?? '' }))
  const [port, httpPort] = [19_820, 19_821]
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `mqtt: { port: ${port}, websocketPort: false }\nhttp: { port: ${httpPort} }\nregistry: { file: ${registry} }\nlog: { level: warn }\n`,
  )
  const gateway = spawn(process.execPath, [cli, 'gateway', '-c', join(dir, 'gateway.yaml')], {
    stdio: 'inherit',
  })
  const pid = gateway.pid as number
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    command: process.argv.slice(1).join(' '),
    devices: deviceCount,
    intervalMs,
    seconds,
  }
  try {
    for (let ready = false; !ready; await sleep(200))
      ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    const url = `mqtt://127.0.0.1:${port}`
    const clients = await Promise.all(
      ids.map(
        (id) =>
          new Promise<MqttClient>((resolve, reject) => {
            const client = mqtt.connect(url, {
              clientId: id,
              username: id,
              password: secrets[id],
              reconnectPeriod: 0,
            })
            client.once('connect', () => resolve(client))
            client.once('error', reject)
          }),
      ),
    )
    let disconnects = 0
    for (const client of clients) client.on('close', () => disconnects++)
    const seqs = new Map<string, number>()
    log(`baseline: ${deviceCount} devices every ${intervalMs} ms for ${seconds} s`)
    const baseline = await measured(pid, publishFor(clients, ids, seqs))
    log(`barrage: the same, with the barrage running over and over`)
    let stop = false
    const rounds: BarrageStats[] = []
    const barrageLoop = (async () => {
      for (let seed = 1; !stop; seed++)
        rounds.push(
          await runBarrage({
            host: '127.0.0.1',
            port,
            seed,
            counts: {
              random: 250,
              truncated: 100,
              oversized: 50,
              huge: 20,
              halfOpen: 300,
              wrongPassword: 500,
            },
            sources: {
              random: ['127.0.0.2'],
              truncated: ['127.0.0.3'],
              oversized: ['127.0.0.4'],
              huge: ['127.0.0.5'],
              halfOpen: ['127.0.0.10', '127.0.0.11', '127.0.0.12'],
              wrongPassword: ['127.0.0.6'],
            },
            victims,
            oversizedBytes: MB,
            holdMs: 5_000,
            sessionTimeoutMs: 2_000,
          }),
        )
    })()
    const attacked = await measured(
      pid,
      publishFor(clients, ids, seqs).finally(() => (stop = true)),
    )
    await barrageLoop
    const [before, during] = [summary(baseline.result), summary(attacked.result)]
    results.baseline = { ...before, gateway: baseline.gateway }
    results.barrage = {
      ...during,
      gateway: attacked.gateway,
      rounds: rounds.length,
      attackSockets: rounds.reduce((n, r) => n + Object.values(r).reduce((m, k) => m + k.sockets, 0), 0),
    }
    results.ratio = {
      p50: round(during.p50Ms / before.p50Ms),
      p95: round(during.p95Ms / before.p95Ms),
      p99: round(during.p99Ms / before.p99Ms),
    }
    results.goodDeviceDisconnects = disconnects
    await Promise.all(clients.map((c) => c.endAsync(true)))
  } finally {
    gateway.kill('SIGTERM')
  }
  mkdirSync(join(root, 'bench/results'), { recursive: true })
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '')
  const file = join(root, 'bench/results', `barrage-${stamp}.json`)
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(results, null, 2)}\nwritten to ${file}\n`)
}

await main()
