import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// The same delivery promise over the other two listeners: WebSocket (browser clients) and TLS.
const dir = mkdtempSync(join(tmpdir(), 'pulsewire-tls-'))
execFileSync(
  'openssl',
  [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
    ...[
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
  ],
  { stdio: 'ignore' },
)

const deviceId = unique('transport')
let gateway: TestGateway | undefined
afterAll(() => gateway?.stop())

function reading(seq: number): Buffer {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'b',
      seq,
      deviceTsMs: now,
      deviceType: 'wearable',
      samples: [
        { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
      ],
    }),
  )
}

async function publishOver(url: string, seq: number, options: IClientOptions = {}): Promise<void> {
  const client = await mqtt.connectAsync(url, {
    clientId: deviceId,
    username: deviceId,
    password: gateway?.secrets.get(deviceId),
    reconnectPeriod: 0,
    ...options,
  })
  await client.publishAsync(`devices/${deviceId}/telemetry`, reading(seq), { qos: 1 })
  await client.endAsync()
}

describe('integration > gateway > WebSocket and TLS listeners', () => {
  it('authenticates and acknowledges only after Kafka on ws:// and mqtts:// as on tcp://', async () => {
    gateway = await startTestGateway([{ id: deviceId, type: 'wearable' }], {
      mqtt: {
        websocketPort: 0,
        tls: { port: 0, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
      },
    })
    const port = (name: string): number =>
      gateway?.service.listeners.bound().find((l) => l.name === name)?.port ?? 0
    const tap = await tapChannels(testKafka, [CHANNELS.vitals])
    await publishOver(`ws://127.0.0.1:${port('ws')}/mqtt`, 1)
    await publishOver(`mqtts://127.0.0.1:${port('tls')}`, 2, { ca: readFileSync(join(dir, 'cert.pem')) })
    await expect(
      publishOver(`mqtts://127.0.0.1:${port('tls')}`, 3, {
        ca: readFileSync(join(dir, 'cert.pem')),
        password: 'wrong',
      }),
    ).rejects.toMatchObject({ code: 5 }) // 4 until issue #10: same code as an unknown id now
    await eventually(() => (tap.forKeys([deviceId]).length >= 2 ? true : undefined), 10_000)
    await tap.stop()
    const seqs = tap.forKeys([deviceId]).map((r) => {
      const decoded = decodeTelemetry(r.value)
      return decoded.ok ? decoded.value.seq : -1
    })
    expect(seqs).toEqual([1, 2])
  })
})
