// A connected device that sends QoS 2 publishes and never their PUBREL makes aedes keep each one
// (its inbound QoS 2 store) until the PUBREL comes. aedes 1.2 caps that store per client
// (maxInflightInbound, default 1,000: GHSA-5jvp-3p2v-5qgf) and drops the connection above it;
// aedes 2.0.0-beta.1 has no such cap, so one authenticated device could hold up to 65,535
// packets of up to limits.maxPacketBytes each (ADR 0009, evaluation of aedes 2).
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { connectPacket, fixedHeader, rawSocket } from '../../helpers/raw-mqtt.js'
import { eventually, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

const AEDES_INBOUND_QOS2_CAP = 1_000
const device = unique('qos2win')
let gateway: TestGateway

/** A QoS 2 PUBLISH (no DUP, no retain) as bytes [MQTT-3.3]. */
function qos2Publish(topic: string, messageId: number, payload: Buffer): Buffer {
  const name = Buffer.from(topic)
  const body = Buffer.concat([
    Buffer.from([name.length >> 8, name.length & 0xff]),
    name,
    Buffer.from([messageId >> 8, messageId & 0xff]),
    payload,
  ])
  return Buffer.concat([fixedHeader(0x34, body.length), body])
}

/** Counts the gateway's answers by packet type (all answers here have a one-byte length). */
function answers(socket: Socket): Map<number, number> {
  const counts = new Map<number, number>()
  let pending = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= 2 && pending.length >= 2 + pending[1]!) {
      const type = pending[0]! >> 4
      counts.set(type, (counts.get(type) ?? 0) + 1)
      pending = pending.subarray(2 + pending[1]!)
    }
  })
  return counts
}

beforeAll(async () => {
  gateway = await startTestGateway([{ id: device, type: 'bedside-monitor' }])
})

afterAll(() => gateway?.stop())

describe('integration > gateway > inbound QoS 2 window', () => {
  it('drops a device that holds more than 1,000 QoS 2 publishes without PUBREL', async () => {
    const socket = await rawSocket(gateway.port)
    const counts = answers(socket)
    let closed = false
    socket.once('close', () => (closed = true))
    socket.write(connectPacket(device, gateway.secrets.get(device)!))
    await eventually(() => (counts.get(2) === 1 ? true : undefined), 5_000) // CONNACK
    const topic = `devices/${device}/telemetry`
    const payload = Buffer.from(encodeTelemetry(vitalsReading(device, 1, Date.now())))
    const total = AEDES_INBOUND_QOS2_CAP + 50
    for (let id = 1; id <= total && !closed; id++) socket.write(qos2Publish(topic, id, payload))
    // Each PUBREC follows the record's delivery report; the first publish beyond the cap ends the
    // connection (PUBRECs of the same read chunk still in flight then never go out).
    await eventually(() => (closed ? true : undefined), 15_000).catch(() => undefined)
    const pubrecs = counts.get(5) ?? 0
    socket.destroy()
    expect(closed, `connection still open after ${pubrecs} PUBRECs`).toBe(true)
    expect(pubrecs).toBeLessThanOrEqual(AEDES_INBOUND_QOS2_CAP)
  })
})
