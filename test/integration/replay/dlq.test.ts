import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { saveDeviceStoreFile } from '../../../gateway/device-store/device-store-file.js'
import type { DlqEntry } from '../../../processors/dlq/entry.js'
import type { RedriveSummary } from '../../../processors/dlq/dlq.js'
import { runCli } from '../../helpers/cli.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { envelope, sample } from '../../helpers/telemetry-fixtures.js'
import { primePartitions, testScope, type TestDatabase } from '../processors/storage/harness.js'

// `pulsewire dlq` on the real stack: a real MQTT client sends a malformed and a fixable payload
// through a real gateway (limits.maxSamplesPerMessage 2); both land in the DLQ with their reasons;
// after the limit is relaxed in the gateway config, `redrive` produces the fixable one to its
// channel with its original seq, real storage writes it to InfluxDB, and a second redrive adds nothing.

const device = unique('dlq-wr')
const dir = mkdtempSync(join(tmpdir(), 'pw-dlq-'))
const gatewayConfig = join(dir, 'gateway.json')
const env = { PULSEWIRE__KAFKA__BROKERS: testKafka.brokers }
const scope = testScope('it-dlq')
let gateway: TestGateway
let client: MqttClient
let tap: Tap
let db: TestDatabase
const readingTs = Date.now() - 5_000

const dlq = (args: string[]) => runCli(['dlq', ...args], env)
const redriven = () =>
  tap.forKeys([device]).filter((r) => r.topic === CHANNELS.vitals && r.headers[HEADERS.redrivenFrom])

beforeAll(async () => {
  await scope.start()
  db = await scope.database('dlq_redrive')
  const storage = await scope.storage(unique('it-dlq-storage'), db.config)
  await primePartitions(storage, scope.producer)
  gateway = await startTestGateway([{ id: device, type: 'wearable' }], {
    limits: { maxSamplesPerMessage: 2 },
  })
  tap = await tapChannels(testKafka, [CHANNELS.vitals, CHANNELS.dlq])
  client = await gateway.connect(device)
  const three = envelope(
    device,
    7,
    readingTs,
    [sample('heart_rate', 71), sample('spo2', 97), sample('respiration_rate', 15)],
    'wearable',
  )
  await client.publishAsync(`devices/${device}/telemetry`, Buffer.from(encodeTelemetry(three)), { qos: 1 })
  await client.publishAsync(`devices/${device}/telemetry`, Buffer.from([0x0a, 0xff, 0xff, 0xff]), { qos: 1 })
  await eventually(() =>
    tap.forKeys([device]).filter((r) => r.topic === CHANNELS.dlq).length === 2 ? true : undefined,
  )
  // The fix: the same device store, a relaxed limit.
  const registry = join(dir, 'devices.json')
  saveDeviceStoreFile(registry, gateway.deviceStore.toData())
  writeFileSync(
    gatewayConfig,
    JSON.stringify({
      kafka: { brokers: testKafka.brokers },
      registry: { file: registry },
      limits: { maxSamplesPerMessage: 10 },
    }),
  )
})

afterAll(async () => {
  await client?.endAsync(true)
  await tap?.stop()
  await gateway?.stop()
  await scope.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('pulsewire dlq', () => {
  it('lists the rejected payloads with their reasons and shows one whole', () => {
    const run = dlq(['list', '--device', device, '--since', '-10m', '--json'])
    expect(run.status).toBe(0)
    const entries = JSON.parse(run.stdout) as DlqEntry[]
    expect(entries.map((e) => e.reason)).toEqual(['too_many_samples', 'malformed'])
    expect(entries[0]).toMatchObject({ device, topic: `devices/${device}/telemetry` })
    expect(entries[0]?.summary).toContain('seq 7')
    expect(entries[1]?.summary).toMatch(/^undecodable: malformed/)

    const text = dlq(['list', '--device', device, '--since', '-10m', '--reason', 'malformed'])
    expect(text.stdout.trim().split('\n')).toHaveLength(1)

    const shown = dlq(['show', entries[1]?.id ?? ''])
    expect(shown.status).toBe(0)
    expect(shown.stdout).toContain(`${HEADERS.rejectReason}: malformed`)
    expect(shown.stdout).toContain('0a ff ff ff')
    expect(dlq(['show', '0:999999999']).stderr).toContain('DLQ_RECORD_NOT_FOUND')
  })

  it('re-drives what passes now, with its original seq, into InfluxDB, and only once', async () => {
    const first = dlq([
      'redrive',
      '--device',
      device,
      '--since',
      '-10m',
      '--gateway-config',
      gatewayConfig,
      '--json',
    ])
    expect(first.stderr).not.toContain('error')
    expect(first.status).toBe(0)
    const summary = JSON.parse(first.stdout) as RedriveSummary
    expect(summary.counts).toEqual({ redriven: 1, still_rejected: 1, already_redriven: 0, not_redrivable: 0 })
    expect(summary.stillRejectedBy).toEqual({ malformed: 1 })

    const [copy] = await eventually(() => (redriven().length > 0 ? redriven() : undefined))
    const decoded = copy && decodeTelemetry(copy.value)
    expect(decoded?.ok && [decoded.value.bootId, decoded.value.seq, decoded.value.samples.length]).toEqual([
      'boot-1',
      7,
      3,
    ])
    await eventually(async () => ((await db.countsPerDevice()).get(device) === 1 ? true : undefined), 60_000)
    expect((await db.countsPerDevice('vitals', 'respiration_rate')).get(device)).toBe(1)

    const second = dlq([
      'redrive',
      '--device',
      device,
      '--since',
      '-10m',
      '--gateway-config',
      gatewayConfig,
      '--json',
    ])
    expect(second.status).toBe(0)
    expect((JSON.parse(second.stdout) as RedriveSummary).counts).toEqual({
      redriven: 0,
      still_rejected: 1,
      already_redriven: 1,
      not_redrivable: 0,
    })
    // A later record on the same partition (a gateway heartbeat) proves the tap has read past anything the second run wrote.
    const seen = tap.records.length
    await eventually(() =>
      tap.records
        .slice(seen)
        .some(
          (r) =>
            r.topic === CHANNELS.vitals && r.partition === copy?.partition && r.headers[HEADERS.heartbeat],
        )
        ? true
        : undefined,
    )
    expect(redriven()).toHaveLength(1)
  })
})
