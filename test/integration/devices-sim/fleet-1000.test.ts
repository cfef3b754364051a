import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot, runCli } from '../../helpers/cli.js'
import { freePort, spawnCli, type CliProcess } from '../../helpers/processes.js'
import { waitForListening, waitForReady } from '../../helpers/wait.js'

const dir = mkdtempSync(join(tmpdir(), 'pulsewire-fleet-'))
const fleet = join(repoRoot, 'test/fixtures/fleets/thousand.yaml')
let gateway: CliProcess | undefined

afterAll(async () => {
  gateway?.child.kill('SIGTERM')
  await gateway?.exited
})

interface Summary {
  type: 'summary'
  devices: number
  connected: number
  published: number
  acked: number
  samples: number
  errors: number
  publishErrors: number
  cpuSeconds: number
  rssMb: number
  groundTruthEvents: number
}

describe('integration > devices-sim > a fleet of 1,000 devices', () => {
  it('runs 30 s against the real gateway with every publish acknowledged', async () => {
    const registry = join(dir, 'devices.json')
    const credentials = join(dir, 'credentials.json')
    expect(
      runCli(['devices', 'provision', '--fleet', fleet, '--registry', registry, '--out', credentials]).status,
    ).toBe(0)
    const port = await freePort()
    const httpPort = await freePort()
    writeFileSync(
      join(dir, 'gateway.yaml'),
      `mqtt: { port: ${port}, websocketPort: false }\nhttp: { port: ${httpPort} }\nregistry: { file: ${registry} }\nlog: { level: warn }\n`,
    )
    gateway = spawnCli(['gateway', '-c', join(dir, 'gateway.yaml')])
    // Ready before the fleet connects: its Kafka producer connected (/readyz) and MQTT listening
    // (/readyz can answer before the MQTT listener is bound: the listeners start last).
    await waitForReady(`http://127.0.0.1:${httpPort}`, { timeoutMs: 30_000 })
    await waitForListening(port, { timeoutMs: 30_000 })
    expect(gateway.child.exitCode).toBeNull()

    const groundTruth = join(dir, 'ground-truth.jsonl')
    const sent = join(dir, 'sent.json')
    const sim = spawnCli([
      ...['sim', fleet, '--duration', '30', '--json', '--url', `mqtt://127.0.0.1:${port}`],
      ...['--credentials', credentials, '--ground-truth', groundTruth, '--sent', sent],
    ])
    const exitCode = await sim.exited
    const lines = sim
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string })
    const summary = lines.find((l) => l.type === 'summary') as Summary
    console.info('simulator, 1,000 devices for 30 s:', {
      published: summary.published,
      samples: summary.samples,
      acked: summary.acked,
      cpuSeconds: summary.cpuSeconds,
      cpuMicrosecondsPerMessage: Math.round((summary.cpuSeconds * 1e6) / summary.published),
      rssMb: summary.rssMb,
    })
    expect(sim.stderr()).toBe('')
    expect(exitCode).toBe(0)
    expect(summary.devices).toBe(1_000)
    expect(summary.published).toBeGreaterThan(10_000)
    expect(summary.acked).toBe(summary.published)
    expect(summary.publishErrors).toBe(0)
    expect(summary.errors).toBe(0)
    const progress = lines.filter((l) => l.type === 'progress') as Summary[]
    expect(Math.max(...progress.map((p) => p.connected))).toBe(1_000)

    const ranges = JSON.parse(readFileSync(sent, 'utf8')) as {
      devices: Array<{ firstSeq: number; lastSeq: number; published: number; acked: number }>
    }
    expect(ranges.devices).toHaveLength(1_000)
    for (const range of ranges.devices) {
      expect(range.firstSeq).toBe(1)
      expect(range.lastSeq).toBe(range.published)
      expect(range.acked).toBe(range.published)
    }
    const events = readFileSync(groundTruth, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; deviceId: string })
    expect(events.length).toBe(summary.groundTruthEvents)
    expect(events.some((e) => e.event === 'probe-off' && e.deviceId.startsWith('k-bm-'))).toBe(true)
  })
})
