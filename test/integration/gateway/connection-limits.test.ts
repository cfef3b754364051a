import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import {
  MAX_DECLARED_LENGTH,
  closesWithin,
  declareHugeConnect,
  fixedHeader,
  rawConnack,
  rawSocket,
  tryConnect,
} from '../../helpers/raw-mqtt.js'
import { eventually, unique } from '../../helpers/services.js'

// Issue #10, finding 1 (and the CONNACK part of 9): the limits in front of aedes, on the real
// gateway over real sockets. The gateway runs in this process (test/helpers/gateway.ts), so its
// memory is this process's RSS.

let gateway: TestGateway | undefined
afterEach(async () => {
  await gateway?.stop()
  gateway = undefined
})

const MB = 1024 * 1024
const perAddress = {
  exemptAddresses: [], // loopback is exempt by default; here it stands for any source address
  connectRate: { perSecond: 1_000, burst: 1_000 },
  authBackoff: { failures: 1_000, windowMs: 60_000, initialMs: 60_000, maxMs: 60_000 },
}

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${gateway?.httpUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`))
  return line ? Number(line.split(' ').pop()) : 0
}
const refused = (reason: string): Promise<number> =>
  metric('pulsewire_gateway_connections_refused_total', `reason="${reason}"`)

describe('integration > gateway > connection limits', () => {
  it('closes a 256 MB CONNECT on its header, before buffering, and RSS stays flat', async () => {
    gateway = await startTestGateway([])
    const chunk = Buffer.alloc(MB, 0x41)
    const rssBefore = process.memoryUsage().rss
    // Ten slow senders at once: each declares 256 MB, then sends 1 MiB every 20 ms (up to 16 MiB).
    const attacks = await Promise.all(
      Array.from({ length: 10 }, () =>
        declareHugeConnect(gateway?.port ?? 0, { chunk, everyMs: 20, maxBytes: 16 * MB, ms: 5_000 }),
      ),
    )
    const rssGrowth = process.memoryUsage().rss - rssBefore
    for (const attack of attacks) {
      expect(attack.closed).toBe(true)
      expect(attack.closedAfterMs).toBeLessThan(1_000)
    }
    expect(rssGrowth).toBeLessThan(8 * MB)
    expect(await refused('packet_too_large')).toBe(10)
  })

  it('closes a packet whose header arrives split over many writes', async () => {
    gateway = await startTestGateway([], {
      limits: { maxPacketBytes: 64 * 1024, maxPayloadBytes: 32 * 1024 },
    })
    const socket = await rawSocket(gateway.port)
    for (const byte of fixedHeader(0x10, 65 * 1024)) {
      socket.write(Buffer.from([byte]))
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await closesWithin(socket, 2_000)).toBe(true)
    expect(await refused('packet_too_large')).toBe(1)
  })

  it('applies the same limit to MQTT over WebSocket: maxPayload, and a packet spanning messages', async () => {
    gateway = await startTestGateway([], {
      mqtt: { websocketPort: 0 },
      limits: { maxPacketBytes: 64 * 1024, maxPayloadBytes: 32 * 1024 },
    })
    const port = gateway.service.listeners.bound().find((l) => l.name === 'ws')?.port ?? 0
    const open = async (): Promise<WebSocket> => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt')
      ws.on('error', () => undefined)
      await once(ws, 'open')
      return ws
    }
    const big = await open()
    const bigClosed = once(big, 'close')
    big.send(Buffer.alloc(64 * 1024 + 1)) // one message above maxPayload
    expect((await bigClosed)[0]).toBe(1009) // "message too big"
    const spanning = await open()
    const spanningClosed = once(spanning, 'close')
    spanning.send(fixedHeader(0x10, MAX_DECLARED_LENGTH)) // the header alone, then small messages
    for (let i = 0; i < 5 && spanning.readyState === WebSocket.OPEN; i++) spanning.send(Buffer.alloc(1024))
    await spanningClosed
    expect(await refused('packet_too_large')).toBe(2)
  })

  it('caps open connections: the one above the cap is closed at accept, a freed slot is reused', async () => {
    gateway = await startTestGateway([], { limits: { maxConnections: 5 } })
    const port = gateway.port
    const held = await Promise.all(Array.from({ length: 5 }, () => rawSocket(port)))
    await eventually(async () => ((await metric('pulsewire_gateway_open_sockets')) === 5 ? true : undefined))
    const extra = await rawSocket(port)
    expect(await closesWithin(extra, 2_000)).toBe(true)
    expect(await refused('max_connections')).toBe(1)
    held[0]?.destroy()
    await eventually(async () => ((await metric('pulsewire_gateway_open_sockets')) === 4 ? true : undefined))
    const again = await rawSocket(port)
    expect(await closesWithin(again, 300)).toBe(false)
    for (const socket of [...held, again]) socket.destroy()
  })

  it('counts TLS connections in the same cap and refuses above it before the handshake', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-limits-tls-'))
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')]
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: 'ignore' },
    )
    gateway = await startTestGateway([], {
      mqtt: { tls: { port: 0, certFile: cert, keyFile: key } },
      limits: { maxConnections: 1 },
    })
    const tlsPort = gateway.service.listeners.bound().find((l) => l.name === 'tls')?.port ?? 0
    const tlsOnce = (): Promise<'secure' | 'closed'> =>
      new Promise((resolve) => {
        const socket = connectTls({ port: tlsPort, host: '127.0.0.1', ca: readFileSync(cert) })
        socket.on('error', () => undefined)
        socket.once('secureConnect', () => {
          resolve('secure')
          socket.destroy()
        })
        socket.once('close', () => resolve('closed'))
      })
    const held = await rawSocket(gateway.port) // the one slot, taken over plain TCP
    await eventually(async () => ((await metric('pulsewire_gateway_open_sockets')) === 1 ? true : undefined))
    expect(await tlsOnce()).toBe('closed')
    expect(await refused('max_connections')).toBe(1)
    held.destroy()
    await eventually(async () => ((await metric('pulsewire_gateway_open_sockets')) === 0 ? true : undefined))
    expect(await tlsOnce()).toBe('secure')
  })

  it('limits the CONNECT rate per source address with a token bucket', async () => {
    const id = unique('rate')
    gateway = await startTestGateway([{ id }], {
      limits: { ...perAddress, connectRate: { perSecond: 0.01, burst: 3 } },
    })
    const results = []
    for (let i = 0; i < 4; i++) results.push(await tryConnect(gateway.mqttUrl, id, gateway.secrets.get(id)))
    expect(results).toEqual([0, 0, 0, 'closed'])
    expect(await refused('connect_rate')).toBe(1)
  })

  it('refuses an address at accept after repeated auth failures, even with the right secret', async () => {
    const id = unique('backoff')
    gateway = await startTestGateway([{ id }], {
      limits: {
        ...perAddress,
        authBackoff: { failures: 3, windowMs: 60_000, initialMs: 60_000, maxMs: 60_000 },
      },
    })
    const results = []
    for (let i = 0; i < 3; i++) results.push(await tryConnect(gateway.mqttUrl, id, 'wrong'))
    results.push(await tryConnect(gateway.mqttUrl, id, gateway.secrets.get(id)))
    expect(results).toEqual([5, 5, 5, 'closed'])
    expect(await refused('auth_backoff')).toBe(1)
  })

  it('answers an unknown id and a wrong secret with the same CONNACK (5), indistinguishably', async () => {
    const id = unique('connack')
    gateway = await startTestGateway([{ id }])
    const unknown = await tryConnect(gateway.mqttUrl, unique('stranger'), 'whatever')
    const wrongSecret = await tryConnect(gateway.mqttUrl, id, 'not-the-secret')
    expect(unknown).toBe(5) // MQTT 3.1.1 §3.2.2.3: not authorized
    expect(wrongSecret).toBe(unknown) // was 4 (bad user name or password) before issue #10
    // Byte for byte on the wire: CONNACK, session present 0, return code 5, then the close.
    const unknownBytes = await rawConnack(gateway.port, unique('stranger'), 'whatever')
    const wrongSecretBytes = await rawConnack(gateway.port, id, 'not-the-secret')
    expect(unknownBytes).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x05]))
    expect(wrongSecretBytes).toEqual(unknownBytes)
    expect(await tryConnect(gateway.mqttUrl, id, gateway.secrets.get(id))).toBe(0)
  })
})
