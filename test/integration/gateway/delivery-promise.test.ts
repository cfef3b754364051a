import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { createKafkaConsumer } from '../../../core/kafka/consumer.js'
import type { KafkaConfig } from '../../../core/config/shared.js'
import { repoRoot, runCli } from '../../helpers/cli.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { tapChannels } from '../../helpers/kafka-tap.js'
import { privateKafka } from '../../helpers/private-kafka.js'
import { reconcile, startPublishers } from '../../helpers/publishers.js'
import { eventually, silentLogger, testKafka, unique } from '../../helpers/services.js'
import { waitForStable } from '../../helpers/wait.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Every (device, seq) on the vitals channel of a Kafka, for the given devices. */
async function storedReadings(kafka: KafkaConfig, devices: ReadonlySet<string>, expected: number) {
  const found: Array<{ deviceId: string; seq: number }> = []
  const groupId = unique('it-reconcile')
  const consumer = createKafkaConsumer({
    kafka,
    groupId,
    clientId: groupId,
    topics: [CHANNELS.vitals],
    logger: silentLogger,
    handler: (batch) => {
      for (const record of batch) {
        if (!record.key || !devices.has(record.key)) continue
        const decoded = decodeTelemetry(record.value)
        if (decoded.ok) found.push({ deviceId: record.key, seq: decoded.value.seq })
      }
      return Promise.resolve()
    },
  })
  await consumer.start()
  await eventually(() => (found.length >= expected ? true : undefined), 60_000).catch(() => undefined)
  // Copies beyond the expected count (duplicates) arrive too: let them in before reconciling.
  await waitForStable(() => found.length, { quietMs: 1_000, what: 'copies beyond the expected count' })
  await consumer.stop()
  return found
}

const outage = privateKafka('it-fault-kafka', 19_392)
afterAll(() => outage.destroy())

describe('integration > gateway > the delivery promise under faults', () => {
  it('withholds PUBACKs while Kafka is down and loses nothing when it returns', async () => {
    await outage.start()
    const ids = Array.from({ length: 10 }, (_, i) => `${unique('outage')}-${i}`)
    const gateway = await startTestGateway(
      ids.map((id) => ({ id, type: 'bedside-monitor' as const })),
      { kafka: outage.kafka },
    )
    const devices = startPublishers(gateway.mqttUrl, gateway.secrets, 50)
    try {
      await eventually(() => (devices.totalAcked() > 200 ? true : undefined), 20_000)
      await outage.stop()
      // Deliveries in flight at the moment of the stop have settled: no PUBACK for 2 s.
      await waitForStable(() => devices.totalAcked(), {
        quietMs: 2_000,
        what: 'PUBACKs in flight at the stop',
      })
      const ackedDuringOutage = devices.totalAcked()
      const publishedAtStop = devices.totalPublished()
      await sleep(6_000) // the outage is the subject: 6 s of publishing without Kafka
      expect(devices.totalPublished()).toBeGreaterThan(publishedAtStop + 500)
      expect(devices.totalAcked()).toBe(ackedDuringOutage) // no PUBACK without Kafka
      expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(503)

      await outage.start()
      await eventually(() => (devices.totalAcked() > ackedDuringOutage + 500 ? true : undefined), 60_000)
      await sleep(2_000) // the subject: the devices go on publishing on the recovered Kafka before they stop
      await devices.stop(60_000)
      expect(devices.totalAcked()).toBe(devices.totalPublished())
      expect((await fetch(`${gateway.httpUrl}/readyz`)).status).toBe(200)
    } finally {
      await gateway.stop()
    }
    const stored = await storedReadings(outage.kafka, new Set(ids), devices.totalPublished())
    const result = reconcile(devices, stored)
    console.info('kafka outage reconciliation', result)
    expect(result.lost).toBe(0)
    expect(result.ackedButLost).toBe(0)
    expect(result.stored).toBe(result.published)
  })

  it('loses nothing when the gateway is SIGKILLed and restarted under persistent-session devices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-kill-'))
    const prefix = `${unique('kill')}-`
    const credentials = join(dir, 'credentials.json')
    const provision = runCli([
      ...['devices', 'provision', '--count', '8', '--prefix', prefix, '--type', 'bedside-monitor'],
      ...['--registry', join(dir, 'devices.yaml'), '--out', credentials],
    ])
    expect(provision.status).toBe(0)
    const port = 18_000 + Math.floor(Math.random() * 1_000)
    writeFileSync(
      join(dir, 'gateway.yaml'),
      `mqtt: { port: ${port}, websocketPort: false }\nhttp: { port: 0 }\nregistry: { file: ${join(dir, 'devices.yaml')} }\nlog: { level: warn }\n`,
    )
    const startGateway = (): ChildProcess =>
      spawn(
        process.execPath,
        [join(repoRoot, 'dist/cli/main.js'), 'gateway', '-c', join(dir, 'gateway.yaml')],
        {
          stdio: 'ignore',
        },
      )
    const tap = await tapChannels(testKafka, [CHANNELS.vitals])
    let gateway = startGateway()
    const secrets = new Map(
      Object.entries(JSON.parse(readFileSync(credentials, 'utf8')) as Record<string, string>),
    )
    const devices = startPublishers(`mqtt://127.0.0.1:${port}`, secrets, 40)
    try {
      await eventually(() => (devices.totalAcked() > 300 ? true : undefined), 30_000)
      gateway.kill('SIGKILL')
      await new Promise((resolve) => gateway.once('exit', resolve))
      const ackedAtKill = devices.totalAcked()
      await sleep(2_000) // the subject: 2 s with the gateway dead, in which no PUBACK may arrive
      expect(devices.totalAcked()).toBe(ackedAtKill)
      gateway = startGateway()
      await eventually(() => (devices.totalAcked() > ackedAtKill + 300 ? true : undefined), 60_000)
      await devices.stop(60_000)
    } finally {
      gateway.kill('SIGTERM')
    }
    const ids = new Set(secrets.keys())
    await eventually(
      () => (tap.forKeys(ids).length >= devices.totalPublished() ? true : undefined),
      30_000,
    ).catch(() => undefined)
    await tap.stop()
    const stored = tap.forKeys(ids).flatMap((r) => {
      const decoded = decodeTelemetry(r.value)
      return decoded.ok && r.key ? [{ deviceId: r.key, seq: decoded.value.seq }] : []
    })
    const result = reconcile(devices, stored)
    console.info('gateway SIGKILL reconciliation', result)
    expect(result.lost).toBe(0)
    expect(result.ackedButLost).toBe(0)
    expect(devices.totalAcked()).toBe(devices.totalPublished())
  })
})
