import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startGroupAtEnd } from '../../../bench/loadtest/group-offsets.js'
import { loadConfig } from '../../../core/config/load.js'
import { STORAGE_MEASUREMENTS } from '../../../core/influx/layout.js'
import { Kafka, baseRdConfig } from '../../../core/kafka/rdkafka.js'
import { isAlive, runningPid } from '../../../core/process/pid-file.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { stackConfigSchema, stackPaths } from '../../../deploy/local/config.js'
import { portOpen } from '../../../deploy/local/host.js'
import { influxProcess } from '../../../deploy/local/influxdb.js'
import { kafkaProcess } from '../../../deploy/local/kafka.js'
import { repoRoot } from '../../helpers/cli.js'
import { spawnCli, type CliProcess } from '../../helpers/processes.js'
import { startPublishers, type Publishers } from '../../helpers/publishers.js'
import { eventually, testKafka } from '../../helpers/services.js'

// `pulsewire up` with the processors' default groups, on the stack the suite shares (the test
// command points PULSEWIRE__STATE_DIR at it): up must reuse it and leave it running.
const UP_PORTS = [1883, 8083, 8080, 9101, 9102, 9103]
const WEB = 'http://127.0.0.1:8080'
const ALERTING_GROUP = 'pulsewire-alerting'
const STORAGE_GROUP = 'pulsewire-storage'

let up: CliProcess | undefined
let publishers: Publishers | undefined

afterAll(async () => {
  await publishers?.stop(2_000)
  // SIGKILL, not SIGTERM: whatever up would do on a stop, the shared stack must survive it.
  if (up && up.child.exitCode === null && up.child.signalCode === null) {
    up.child.kill('SIGKILL')
    await up.exited
  }
})

const ready = async (port: number): Promise<boolean> => {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })
    await response.body?.cancel()
    return response.status === 200
  } catch {
    return false
  }
}

/**
 * A second producer with alerting's transactional id: the broker bumps the id's epoch and
 * fences the running one, as when a duplicate instance starts. Its next transaction fails
 * for good (the producer cannot recover), so the alerting pipeline has to stop.
 */
async function fenceProducer(transactionalId: string): Promise<void> {
  const producer = new Kafka.Producer({
    ...baseRdConfig(testKafka, 'up-fatal-fencer'),
    'transactional.id': transactionalId,
  })
  await new Promise<void>((resolve, reject) =>
    producer.connect({ timeout: 10_000 }, (err) => (err ? reject(new Error(err.message)) : resolve())),
  )
  try {
    await new Promise<void>((resolve, reject) =>
      producer.initTransactions(30_000, (err) => (err ? reject(new Error(err.message)) : resolve())),
    )
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()))
  }
}

describe('integration > cli > pulsewire up', () => {
  it('exits non-zero with one line naming the dead stage and its code, frees its ports, leaves the shared stack up', async () => {
    const stack = stackPaths(loadConfig({ schema: stackConfigSchema, env: process.env }), repoRoot)
    const kafkaPid = runningPid(kafkaProcess(stack))
    const influxPid = runningPid(influxProcess(stack))
    expect(kafkaPid, `no local stack under ${stack.state}`).toBeDefined()
    expect(influxPid).toBeDefined()
    for (const port of UP_PORTS)
      expect(await portOpen(port), `port ${port} taken before the test`).toBe(false)
    // From now on: the shared channels' history is not replayed into the default groups.
    await startGroupAtEnd(testKafka, ALERTING_GROUP, [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status])
    await startGroupAtEnd(testKafka, STORAGE_GROUP, Object.keys(STORAGE_MEASUREMENTS))

    up = spawnCli(['up', '--no-sim'])
    await up.waitFor('Pulsewire is up.', 120_000)
    await eventually(async () => ((await ready(9102)) && (await ready(9103)) ? true : undefined), 60_000)

    // The web console runs inside `up` too: its URL is in the banner, it answers ready on
    // loopback, and the demo clinician of the banner's credentials file can sign in.
    expect(up.stdout()).toContain(`  Web         ${WEB}/   sign in as demo-clinician or demo-viewer`)
    await eventually(async () => ((await ready(8080)) ? true : undefined), 60_000)
    const webUsers = JSON.parse(
      readFileSync(join(repoRoot, '.pulsewire', 'web-demo-credentials.json'), 'utf8'),
    ) as Record<string, string>
    const login = await fetch(`${WEB}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'demo-clinician', password: webUsers['demo-clinician'] }),
    })
    expect(login.status).toBe(200)
    expect(await login.json()).toMatchObject({ user: 'demo-clinician', role: 'clinician' })

    // alerting runs inside `up`: its transactional id ends in up's process id (ADR 0014).
    await fenceProducer(`${ALERTING_GROUP}-${hostname()}-${up.child.pid}`)
    // Traffic, so alerting starts a transaction and learns that it is fenced.
    const credentials = JSON.parse(
      readFileSync(join(repoRoot, '.pulsewire', 'demo-credentials.json'), 'utf8'),
    ) as Record<string, string>
    const monitors = Object.entries(credentials).filter(([id]) => id.startsWith('ward3-bm-'))
    expect(monitors.length).toBeGreaterThan(0)
    publishers = startPublishers('mqtt://127.0.0.1:1883', new Map(monitors.slice(0, 3)), 200)

    const exit = await Promise.race([
      up.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000).unref()),
    ])
    await publishers.stop(1_000)
    publishers = undefined
    const output = `${up.stdout()}\n${up.stderr()}`
    expect(exit, output).not.toBe('timeout')
    expect(exit, output).toBe(1)
    const lines = up
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('pulsewire up: '))
    expect(lines, output).toHaveLength(1)
    expect(lines[0]).toMatch(/^pulsewire up: processors\/alerting failed \[KAFKA_TRANSACTION_FAILED\]: .+/)
    expect(lines[0]).toContain('stopping everything')

    // Nothing left behind: up's listeners are closed, the stack it found is still running.
    for (const port of UP_PORTS) expect(await portOpen(port), `port ${port} still open`).toBe(false)
    expect(up.stdout()).toContain('stack     kafka and influxdb left running (running before pulsewire up)')
    expect(isAlive(kafkaPid ?? 0)).toBe(true)
    expect(isAlive(influxPid ?? 0)).toBe(true)
    expect(runningPid(kafkaProcess(stack))).toBe(kafkaPid)
    expect(await portOpen(Number(testKafka.brokers.split(':')[1]))).toBe(true)
  }, 240_000)
})
