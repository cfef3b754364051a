import type { MqttClient } from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { declareHugeConnect, tryConnect } from '../../helpers/raw-mqtt.js'
import { unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

// What the connection limits must not do (issue #10, finding 1): good devices connected and
// publishing through them, while oversized-header and wrong-secret attackers hit the same
// gateway from the same address, see no disconnect and every publish acknowledged.

const DEVICES = 200
const PUBLISHES = 5
const run = unique('good')
const ids = Array.from({ length: DEVICES }, (_, i) => `${run}-${i}`)
let gateway: TestGateway | undefined
afterAll(() => gateway?.stop())

describe('integration > gateway > connection limits > good devices', () => {
  it('200 devices connect and publish through the default limits without a disconnect', async () => {
    gateway = await startTestGateway(ids.map((id) => ({ id, type: 'bedside-monitor' as const })))
    const g = gateway
    const interruptions: string[] = []
    const clients: MqttClient[] = await Promise.all(ids.map((id) => g.connect(id)))
    clients.forEach((client, i) => {
      for (const event of ['close', 'offline', 'disconnect', 'error'] as const)
        client.on(event, () => interruptions.push(`${ids[i]}:${event}`))
    })
    const attackers = Promise.all([
      ...Array.from({ length: 20 }, () =>
        declareHugeConnect(g.port, {
          chunk: Buffer.alloc(64 * 1024),
          everyMs: 20,
          maxBytes: 4 << 20,
          ms: 5_000,
        }),
      ),
      ...Array.from({ length: 20 }, (_, i) => tryConnect(g.mqttUrl, ids[i] ?? '', 'wrong')),
    ])
    const now = Date.now()
    const acks = await Promise.all(
      clients.flatMap((client, i) =>
        Array.from({ length: PUBLISHES }, (_, seq) =>
          client
            .publishAsync(
              `devices/${ids[i]}/telemetry`,
              Buffer.from(encodeTelemetry(vitalsReading(ids[i] ?? '', seq + 1, now))),
              { qos: 1 },
            )
            .then(() => 1),
        ),
      ),
    )
    const attacks = await attackers
    expect(acks).toHaveLength(DEVICES * PUBLISHES)
    expect(attacks.slice(0, 20).every((a) => typeof a === 'object' && a.closed)).toBe(true)
    expect(attacks.slice(20)).toEqual(Array.from({ length: 20 }, () => 5))
    expect(interruptions).toEqual([])
    expect(clients.every((client) => client.connected)).toBe(true)
  })
})
