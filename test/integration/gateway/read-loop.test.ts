// What aedes does with a connection's later packets while a publish waits for Kafka (ADR 0004,
// ADR 0009's evaluation of aedes 2). It keeps reading them: a second publish is handed to the
// hook and a PINGREQ is answered before the first publish's delivery report (aedes 1.2 and
// 2.0.0-beta.1 alike: each 'readable' event reads on). What holds is the order: each PUBACK only
// after its own record is in Kafka. aedes 2 passed this with MQTT 5 too (PROTOCOLS = [4, 5]).
import type { MqttClient, Packet } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

// aedes 1.2 refuses MQTT 5 (mqtt5-refused.test.ts).
const PROTOCOLS: ReadonlyArray<4 | 5> = [4]
const LABEL = { 4: '3.1.1', 5: '5' } as const
const devices = PROTOCOLS.map((v) => unique(`readloop-v${v}`))
let gateway: TestGateway
let tap: Tap

const reading = (deviceId: string, seq: number): Buffer =>
  Buffer.from(encodeTelemetry(vitalsReading(deviceId, seq, Date.now())))

beforeAll(async () => {
  // linger.ms holds each delivery report for 3 s: the window in which the later packets arrive.
  gateway = await startTestGateway(
    devices.map((id) => ({ id, type: 'bedside-monitor' as const })),
    { producer: { lingerMs: 3_000 } },
  )
  tap = await tapChannels(testKafka, [CHANNELS.vitals])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

async function receivedTelemetry(): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
  return Number(
    /pulsewire_gateway_messages_received_total\{stream="telemetry"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0,
  )
}

describe('integration > gateway > the read loop while a publish waits for Kafka', () => {
  PROTOCOLS.forEach((protocolVersion, index) => {
    const id = devices[index]!
    it(`MQTT ${LABEL[protocolVersion]}: reads the next publish and answers PINGREQ, and acknowledges each only once it is in Kafka`, async () => {
      const before = await receivedTelemetry()
      // keepalive 1 s: the client sends a PINGREQ a second after its last packet.
      const client: MqttClient = await gateway.connect(id, { protocolVersion, keepalive: 1 })
      let closed = false
      client.on('close', () => (closed = true))
      const seen: string[] = []
      client.on('packetreceive', (packet: Packet) => seen.push(packet.cmd))
      const acked: number[] = []
      const publish = (seq: number): Promise<void> =>
        client.publishAsync(`devices/${id}/telemetry`, reading(id, seq), { qos: 1 }).then(() => {
          acked.push(seq)
        })
      const first = publish(1)
      await eventually(async () => ((await receivedTelemetry()) === before + 1 ? true : undefined), 5_000)
      const second = publish(2)
      // Read and forwarded while the first still waits for its delivery report.
      await eventually(async () => ((await receivedTelemetry()) === before + 2 ? true : undefined), 2_000)
      await eventually(() => (seen.includes('pingresp') ? true : undefined), 2_500)
      expect(acked).toEqual([])
      await Promise.all([first, second])
      expect(acked).toEqual([1, 2])
      expect(seen.filter((cmd) => cmd === 'puback')).toHaveLength(2)
      // PUBACK = in Kafka: both records are there once the acks are back.
      const records = await eventually(() => {
        const mine = tap.forKeys([id])
        return mine.length >= 2 ? mine : undefined
      }, 5_000)
      expect(
        records.map((r) => {
          const decoded = decodeTelemetry(r.value)
          return decoded.ok ? decoded.value.seq : -1
        }),
      ).toEqual([1, 2])
      expect(closed).toBe(false)
    })
  })
})
