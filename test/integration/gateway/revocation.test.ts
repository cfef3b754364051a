import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import type { KafkaRecord } from '../../../core/kafka/records.js'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { repoRoot, runCli } from '../../helpers/cli.js'
import { spawnCli, type CliProcess } from '../../helpers/processes.js'
import { tapChannels } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// Revocation through the real path (issue #10, finding 2): `pulsewire devices revoke` rewrites the
// store file, the `pulsewire gateway` process polls it, and the revoked device's open connection
// must close within a second while its neighbours carry on.
const RELOAD_INTERVAL_MS = 250
/** The promise: within 1 s of the file changing (interval 250 ms + 750 ms for a loaded 2-core machine). */
const CLOSE_BOUND_MS = 1_000

const dir = mkdtempSync(join(tmpdir(), 'pulsewire-revoke-'))
let gateway: CliProcess | undefined
const clients: MqttClient[] = []

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)))
  gateway?.child.kill('SIGTERM')
  await gateway?.exited
})

function reading(deviceId: string, seq: number): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'revoke',
      seq,
      deviceTsMs: now,
      deviceType: 'bedside-monitor',
      samples: [
        { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
      ],
    }),
  )
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

interface Device {
  id: string
  client: MqttClient
  acked: Set<number>
  /** When each seq was handed to the client. */
  sentAt: Map<number, number>
  closedAt?: number
  stop(): void
}

/** A device publishing QoS 1 every 20 ms, as firmware does, until stopped or disconnected. */
async function startDevice(url: string, id: string, secret: string): Promise<Device> {
  const client = await mqtt.connectAsync(url, {
    clientId: id,
    username: id,
    password: secret,
    reconnectPeriod: 0,
    clean: true,
  })
  client.on('error', () => undefined)
  clients.push(client)
  let seq = 0
  const device: Device = { id, client, acked: new Set(), sentAt: new Map(), stop: () => undefined }
  const timer = setInterval(() => {
    if (!client.connected) return
    const s = ++seq
    device.sentAt.set(s, Date.now())
    client.publish(`devices/${id}/telemetry`, reading(id, s), { qos: 1 }, (err) => {
      if (!err) device.acked.add(s)
    })
  }, 20)
  device.stop = () => clearInterval(timer)
  client.once('close', () => {
    device.closedAt = Date.now()
  })
  return device
}

const seqOf = (record: KafkaRecord): number => {
  const decoded = decodeTelemetry(record.value)
  return decoded.ok ? decoded.value.seq : -1
}

describe('integration > gateway > revocation that bites (pulsewire devices revoke → pulsewire gateway)', () => {
  it('closes the revoked device’s connection within 1 s; nothing of it after that reaches Kafka; others unaffected', async () => {
    const prefix = `${unique('rv')}-`
    const registry = join(dir, 'devices.json')
    const credentialsFile = join(dir, 'credentials.json')
    const provision = runCli([
      ...['devices', 'provision', '--count', '3', '--prefix', prefix, '--type', 'bedside-monitor'],
      ...['--registry', registry, '--out', credentialsFile],
    ])
    expect(provision.status, provision.stderr).toBe(0)
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Record<string, string>
    const port = await freePort()
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        `mqtt: { port: ${port}, websocketPort: false }`,
        'http: { port: 0 }',
        `registry: { file: ${registry}, reloadIntervalMs: ${RELOAD_INTERVAL_MS} }`,
        'log: { level: info }',
      ].join('\n'),
    )
    const tap = await tapChannels(testKafka, [CHANNELS.vitals, CHANNELS.dlq, CHANNELS.status])
    gateway = spawnCli(['gateway', '-c', join(dir, 'gateway.yaml')])
    await gateway.waitFor('gateway ready', 60_000)
    const ready = gateway
      .stdout()
      .split('\n')
      .find((line) => line.includes('gateway ready'))
    const httpPort = (JSON.parse(ready ?? '{}') as { http?: number }).http

    const url = `mqtt://127.0.0.1:${port}`
    const [victim, ...others] = await Promise.all(
      Object.entries(credentials).map(([id, secret]) => startDevice(url, id, secret)),
    )
    if (!victim) throw new Error('no devices provisioned')
    await eventually(() => ([victim, ...others].every((d) => d.acked.size >= 20) ? true : undefined), 30_000)

    // Asynchronously: the devices keep publishing (and their close is timed) while the CLI runs.
    const revoke = await promisify(execFile)(process.execPath, [
      ...[join(repoRoot, 'dist/cli/main.js'), 'devices', 'revoke', victim.id, '--registry', registry],
    ])
    expect(revoke.stdout).toContain(`revoked ${victim.id}`)
    // The revocation exists from the moment the CLI renamed the new file into place.
    const revokedAt = statSync(registry).mtimeMs
    const closedAt = await eventually(() => victim.closedAt, 5_000)
    const latencyMs = closedAt - revokedAt
    console.info('revocation → connection closed', { latencyMs, bound: CLOSE_BOUND_MS })
    expect(latencyMs).toBeLessThan(CLOSE_BOUND_MS)
    victim.stop()

    // The others carry on: 300 ms more of acknowledged publishes, no disconnect.
    const ackedBefore = others.map((d) => d.acked.size)
    await eventually(
      () => (others.every((d, i) => d.acked.size >= (ackedBefore[i] ?? 0) + 15) ? true : undefined),
      10_000,
    )
    for (const d of others) expect(d.client.connected, d.id).toBe(true)
    for (const d of others) d.stop()

    // Reconnecting is refused (one refusal code, ADR 0009).
    const again = await mqtt
      .connectAsync(url, {
        clientId: victim.id,
        username: victim.id,
        password: credentials[victim.id],
        reconnectPeriod: 0,
      })
      .then(
        (c) => (c.end(true), 0),
        (err: { code?: number }) => err.code ?? -1,
      )
    expect(again).toBe(5)

    // Every acknowledged publish of the others is in Kafka; the victim has nothing received after its close.
    await eventually(
      () =>
        others.every(
          (d) => tap.forKeys([d.id]).filter((r) => r.topic === CHANNELS.vitals).length >= d.acked.size,
        )
          ? true
          : undefined,
      20_000,
    )
    await Promise.all(others.map((d) => d.client.endAsync()))
    const victimRecords = tap.forKeys([victim.id]).filter((r) => r.topic !== CHANNELS.status)
    await tap.stop()
    expect(victimRecords.length).toBeGreaterThanOrEqual(20)
    for (const record of victimRecords) {
      expect(record.topic).toBe(CHANNELS.vitals)
      expect(Number(record.headers[HEADERS.gatewayRxTs]?.toString())).toBeLessThanOrEqual(closedAt)
      expect(victim.sentAt.get(seqOf(record)) ?? Infinity).toBeLessThan(closedAt)
    }
    for (const d of others) {
      const seqs = new Set(
        tap
          .forKeys([d.id])
          .filter((r) => r.topic === CHANNELS.vitals)
          .map(seqOf),
      )
      for (const seq of d.acked) expect(seqs.has(seq), `${d.id} seq ${seq}`).toBe(true)
    }

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
    expect(metrics).toMatch(
      /pulsewire_gateway_revocation_disconnects_total\{reason="not_enrolled"[^}]*\} 1\b/,
    )
    expect(gateway.stdout()).toContain('connections closed after a registry change')
  })
})
