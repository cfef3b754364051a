// End-to-end latency: device timestamp → alert emitted, and → visible in InfluxDB, with the
// gateway, storage, alerting and a simulated fleet as separate processes on the local stack.
//   npm run build && node dist/bench/pipeline/latency-bench.js [--seconds 60] [--monitors 200]
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fleetDevices } from '../../devices-sim/fleet/fleet-devices.js'
import { enrolmentTargets } from '../../gateway/device-store/fleet-enrolment.js'
import { findRepoRoot } from '../../core/repo-root.js'
import { PulsewireTarget } from '../loadtest/pulsewire-target.js'
import { histogramQuantile, parseHistogram } from '../prometheus.js'
import { cpuSeconds, machine } from '../proc-stats.js'

const root = findRepoRoot(import.meta.url)
const cli = join(root, 'dist/cli/main.js')
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, monitors: { type: 'string', default: '200' } },
})
const seconds = Number(values.seconds)
const monitors = Number(values.monitors)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const run = `bench${Date.now().toString(36)}`
const dir = mkdtempSync(join(tmpdir(), 'pulsewire-latency-'))
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}

const fleet = file(
  'fleet.yaml',
  `seed: 5
groups:
  - profile: bedside-monitor
    count: ${monitors}
    idPrefix: ${run}-bm-
    scenarios:
      - scenario: desaturation
        devices: ${Math.ceil(monitors / 4)}
        config: { intervalMs: [20000, 40000], dipDurationMs: [20000, 30000] }
  - profile: environmental-sensor
    count: 100
    idPrefix: ${run}-env-
`,
)
// The processes are started exactly as the load tester starts them (bench/loadtest).
const types = new Map(enrolmentTargets(fleetDevices(fleet)).map((t) => [t.deviceId, t.type]))
const target = new PulsewireTarget({ typeOf: (id) => types.get(id) })
const endpoints = await target.start([...types.keys()])
const credentials = file('credentials.json', JSON.stringify(endpoints.credentials ?? {}))
const pulsewire = endpoints.processes.filter((p) => ['gateway', 'storage', 'alerting'].includes(p.name))
const cpuBefore = Object.fromEntries(pulsewire.map((p) => [p.name, cpuSeconds(p.pid)]))
const sim = spawn(
  process.execPath,
  [
    cli,
    'sim',
    fleet,
    '--duration',
    String(seconds),
    '--url',
    endpoints.mqttUrl,
    '--credentials',
    credentials,
    '--json',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
)
const simPid = sim.pid as number
let simCpu = 0
const simCpuTimer = setInterval(() => {
  try {
    simCpu = cpuSeconds(simPid)
  } catch {
    // exited
  }
}, 500)
await new Promise((resolve) => sim.once('exit', resolve))
clearInterval(simCpuTimer)
await sleep(5_000) // the last batches are written and evaluated

const metrics = async (name: 'gateway' | 'storage' | 'alerting'): Promise<string> =>
  (await fetch(`http://127.0.0.1:${target.httpPort(name)}/metrics`)).text()
const summary = (text: string, name: string) => {
  const h = parseHistogram(text, name)
  const ms = (q: number): number => Math.round(histogramQuantile(h, q) * 1000)
  return {
    count: h.count,
    meanMs: Math.round((h.sum / Math.max(1, h.count)) * 1000),
    p50Ms: ms(0.5),
    p99Ms: ms(0.99),
  }
}
const storageText = await metrics('storage')
const alertingText = await metrics('alerting')
const gatewayText = await metrics('gateway')
const results = {
  date: new Date().toISOString(),
  machine: machine(),
  command: `node dist/bench/pipeline/latency-bench.js --seconds ${seconds} --monitors ${monitors}`,
  fleet: { bedsideMonitors: monitors, environmentalSensors: 100, seconds },
  deviceToPuback: summary(gatewayText, 'pulsewire_gateway_produce_duration_seconds'),
  deviceToStored: summary(storageText, 'pulsewire_storage_device_to_stored_seconds'),
  deviceToAlertEmitted: summary(alertingText, 'pulsewire_alert_emit_latency_seconds'),
  cpuSeconds: {
    ...Object.fromEntries(
      pulsewire.map((p) => [p.name, Math.round((cpuSeconds(p.pid) - (cpuBefore[p.name] ?? 0)) * 100) / 100]),
    ),
    simulator: Math.round(simCpu * 100) / 100,
  },
}
await target.stop()
mkdirSync(join(root, 'bench/results'), { recursive: true })
const out = join(root, 'bench/results', `latency-${results.date.slice(0, 19).replaceAll(':', '')}.json`)
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
process.stdout.write(`${JSON.stringify(results, null, 2)}\nwritten to ${out}\n`)
