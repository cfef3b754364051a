import { once } from 'node:events'
import type { Socket } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { rawSocket } from '../../helpers/raw-mqtt.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

/** A device speaking MQTT 3.1.1 packet by packet, so a QoS 2 retransmission is ours to make. */
async function rawDevice(port: number, deviceId: string, password: string) {
  const socket: Socket = await rawSocket(port)
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const received: Packet[] = []
  parser.on('packet', (packet) => received.push(packet))
  socket.on('data', (chunk) => parser.parse(chunk))
  const send = (packet: Record<string, unknown>): void => {
    socket.write(mqttPacket.generate(packet as unknown as Packet))
  }
  /** Resolves with the n-th (1-based) received packet of this type and message id. */
  const next = (cmd: string, messageId: number | undefined, n = 1) =>
    eventually(() => {
      const matching = received.filter(
        (p) =>
          p.cmd === cmd && (messageId === undefined || (p as { messageId?: number }).messageId === messageId),
      )
      return matching[n - 1]
    }, 15_000)
  send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: deviceId,
    clean: false,
    keepalive: 30,
    username: deviceId,
    password: Buffer.from(password),
  })
  const connack = (await next('connack', undefined)) as { returnCode?: number }
  expect(connack.returnCode).toBe(0)
  return {
    send,
    next,
    async close() {
      socket.destroy()
      await once(socket, 'close')
    },
  }
}

const reading = (deviceId: string, seq: number): Buffer =>
  Buffer.from(encodeTelemetry(vitalsReading(deviceId, seq, Date.now())))

const publish = (deviceId: string, messageId: number, payload: Buffer, dup: boolean) => ({
  cmd: 'publish',
  topic: `devices/${deviceId}/telemetry`,
  payload,
  qos: 2,
  messageId,
  dup,
  retain: false,
})

describe('integration > gateway > QoS 2 retransmissions and retained telemetry', () => {
  const qos2Id = `${unique('qos2')}`
  const retainId = `${unique('retain')}`
  let gateway: TestGateway
  let tap: Tap
  beforeAll(async () => {
    tap = await tapChannels(testKafka, [CHANNELS.vitals])
    gateway = await startTestGateway([
      { id: qos2Id, type: 'bedside-monitor' },
      { id: retainId, type: 'bedside-monitor' },
    ])
  })
  afterAll(async () => {
    await gateway.stop()
    await tap.stop()
  })

  const seqsInKafka = (deviceId: string): number[] =>
    tap.forKeys([deviceId]).flatMap((r) => {
      const decoded = decodeTelemetry(r.value)
      return decoded.ok ? [decoded.value.seq] : []
    })

  it('answers a DUP of a QoS 2 packet id awaiting PUBREL with PUBREC and does not produce it again', async () => {
    const secret = gateway.secrets.get(qos2Id) ?? ''
    const first = reading(qos2Id, 1)
    let device = await rawDevice(gateway.port, qos2Id, secret)
    device.send(publish(qos2Id, 7, first, false))
    await device.next('pubrec', 7)
    // The PUBREC was "lost": the device retransmits on the same connection...
    device.send(publish(qos2Id, 7, first, true))
    await device.next('pubrec', 7, 2)
    // ...and after a reconnect (persistent session), as firmware does.
    await device.close()
    device = await rawDevice(gateway.port, qos2Id, secret)
    device.send(publish(qos2Id, 7, first, true))
    await device.next('pubrec', 7)
    device.send({ cmd: 'pubrel', messageId: 7 })
    await device.next('pubcomp', 7)
    // After PUBCOMP the id is free again: a new reading under it is produced.
    device.send(publish(qos2Id, 7, reading(qos2Id, 2), false))
    await device.next('pubrec', 7, 2)
    await eventually(() => (seqsInKafka(qos2Id).includes(2) ? true : undefined), 15_000)
    await device.close()
    expect(seqsInKafka(qos2Id).sort()).toEqual([1, 2])
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/^pulsewire_gateway_qos2_duplicates_total({[^}]*})? 2$/m)
  })

  it('forwards a retained telemetry publish without keeping it in the broker', async () => {
    const device = await gateway.connect(retainId)
    await device.publishAsync(`devices/${retainId}/telemetry`, reading(retainId, 1), { qos: 1, retain: true })
    await eventually(() => (seqsInKafka(retainId).includes(1) ? true : undefined), 15_000)
    const broker = gateway.service.broker()
    const retained: unknown[] = []
    const persistence = (
      broker as unknown as { persistence: { createRetainedStream(p: string): AsyncIterable<unknown> } }
    ).persistence
    for await (const packet of persistence.createRetainedStream('devices/#')) retained.push(packet)
    expect(retained).toEqual([])
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/^pulsewire_gateway_retain_refused_total({[^}]*})? 1$/m)
  })
})
