import { Duplex } from 'node:stream'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createKeepalive } from '../../../gateway/keepalive.js'
import { createGatewayMetrics } from '../../../gateway/metrics.js'
import { createPacketSizeGuard, guardConnection } from '../../../gateway/packet-guard.js'

const PINGREQ = Buffer.from([0xc0, 0x00])
const publish = (n: number): Buffer => Buffer.concat([Buffer.from([0x30, n]), Buffer.alloc(n, 7)])

/** A socket stand-in: `arrive` is what the device sent, `written` what the gateway wrote back. */
function fakeSocket() {
  const written: Buffer[] = []
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk)
      callback()
    },
  })
  return { socket, written, arrive: (chunk: Buffer) => socket.push(chunk) }
}

/** What aedes would read from the guarded stream, once the event loop has passed the data on. */
async function readAll(stream: Duplex): Promise<Buffer> {
  await new Promise((resolve) => setImmediate(resolve))
  const parts: Buffer[] = []
  for (let chunk = stream.read() as Buffer | null; chunk; chunk = stream.read() as Buffer | null)
    parts.push(chunk)
  return Buffer.concat(parts)
}

function setup(client: { connackSent: boolean } | undefined) {
  const metrics = createGatewayMetrics(new Registry())
  const keepalive = createKeepalive(metrics)
  const { socket, written, arrive } = fakeSocket()
  const outer = guardConnection(socket, createPacketSizeGuard(1 << 20), () => undefined, keepalive)
  let refreshed = 0
  const aedesClient = client && {
    ...client,
    closed: false,
    _keepaliveInterval: 7_501,
    _keepaliveTimer: { refresh: () => refreshed++ },
  }
  // aedes sets conn.client on the stream it is handed (lib/client.js).
  ;(outer as unknown as { client?: unknown }).client = aedesClient
  return { outer, written, arrive, metrics, keepalive, refreshed: () => refreshed }
}

describe('gateway > keepalive in front of the broker', () => {
  it('answers a PINGREQ of a connected client and takes it out of the stream', async () => {
    const { outer, written, arrive, metrics } = setup({ connackSent: true })
    arrive(Buffer.concat([publish(5), PINGREQ, publish(3), PINGREQ]))
    expect(await readAll(outer)).toEqual(Buffer.concat([publish(5), publish(3)]))
    expect(Buffer.concat(written)).toEqual(Buffer.from([0xd0, 0x00, 0xd0, 0x00]))
    expect((await metrics.pingsAnswered.get()).values[0]?.value).toBe(2)
  })

  it('leaves a PINGREQ before the CONNACK to aedes (a protocol error there)', async () => {
    const { outer, written, arrive } = setup({ connackSent: false })
    arrive(PINGREQ)
    expect(await readAll(outer)).toEqual(PINGREQ)
    expect(written).toEqual([])
  })

  it('leaves a PINGREQ split across reads to aedes', async () => {
    const { outer, written, arrive } = setup({ connackSent: true })
    arrive(Buffer.concat([publish(2), PINGREQ.subarray(0, 1)]))
    arrive(Buffer.concat([PINGREQ.subarray(1), publish(1)]))
    expect(await readAll(outer)).toEqual(Buffer.concat([publish(2), PINGREQ, publish(1)]))
    expect(written).toEqual([])
  })

  it('counts every packet read as a sign of life (MQTT-3.1.2-24)', async () => {
    const { outer, arrive, refreshed } = setup({ connackSent: true })
    arrive(Buffer.concat([publish(4), publish(4), publish(4)]))
    await readAll(outer)
    expect(refreshed()).toBe(3)
  })

  it('refreshes the timer of a client holding a waiting publish until it is released', async () => {
    const metrics = createGatewayMetrics(new Registry())
    const keepalive = createKeepalive(metrics)
    let refreshed = 0
    const client = {
      closed: false,
      connackSent: true,
      _keepaliveInterval: 1_501,
      _keepaliveTimer: { refresh: () => refreshed++ },
    }
    const release = keepalive.hold(client as never)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    release()
    const atRelease = refreshed
    expect(atRelease).toBeGreaterThanOrEqual(1)
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(refreshed).toBe(atRelease)
    keepalive.stop()
  })
})
