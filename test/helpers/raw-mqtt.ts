import { once } from 'node:events'
import { connect as connectTcp, type Socket } from 'node:net'
import mqtt from 'mqtt'

/** An MQTT fixed header: type byte, then the remaining length as a varint [MQTT-2.2.3]. */
export function fixedHeader(type: number, remaining: number): Buffer {
  const bytes = [type]
  let x = remaining
  do {
    let byte = x % 128
    x = Math.floor(x / 128)
    if (x > 0) byte |= 0x80
    bytes.push(byte)
  } while (x > 0)
  return Buffer.from(bytes)
}

/** The largest remaining length MQTT can declare: 256 MB. */
export const MAX_DECLARED_LENGTH = 268_435_455

/** A plain TCP socket to the gateway, connected; errors after the gateway closes it are expected. */
export async function rawSocket(port: number): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1')
  socket.on('error', () => undefined)
  await once(socket, 'connect')
  return socket
}

/** Resolves true when the socket closes within `ms`, false when it is still open then. */
export function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Declares a 256 MB CONNECT, then trickles `chunk` every `everyMs` until the gateway closes
 * the socket, `maxBytes` are sent or `ms` pass. Resolves with what happened.
 */
export async function declareHugeConnect(
  port: number,
  options: { chunk: Buffer; everyMs: number; maxBytes: number; ms: number },
): Promise<{ closed: boolean; closedAfterMs: number; sentBytes: number }> {
  const socket = await rawSocket(port)
  const started = Date.now()
  let closed = false
  socket.once('close', () => (closed = true))
  socket.write(fixedHeader(0x10, MAX_DECLARED_LENGTH))
  let sentBytes = 0
  while (!closed && sentBytes < options.maxBytes && Date.now() - started < options.ms) {
    // The pacing is the attack (a slow sender), not a wait for readiness.
    await new Promise((resolve) => setTimeout(resolve, options.everyMs))
    if (closed) break
    socket.write(options.chunk)
    sentBytes += options.chunk.length
  }
  const closedAfterMs = Date.now() - started
  socket.destroy()
  return { closed, closedAfterMs, sentBytes }
}

/**
 * One MQTT CONNECT: 0 when accepted, the CONNACK return code when refused, 'closed' when the
 * gateway closed the socket without a CONNACK (a limit at accept).
 */
export function tryConnect(
  url: string,
  deviceId: string,
  password: string | undefined,
): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId: deviceId,
      username: deviceId,
      password,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    })
    const done = (result: number | 'closed'): void => {
      client.removeAllListeners()
      client.on('error', () => undefined)
      client.end(true)
      resolve(result)
    }
    client.once('connect', () => done(0))
    client.once('error', (err: Error & { code?: unknown }) =>
      done(typeof err.code === 'number' ? err.code : 'closed'),
    )
    client.once('close', () => done('closed'))
  })
}

/** An MQTT 3.1.1 CONNECT (clean session, username = client id, password) as bytes. */
export function connectPacket(clientId: string, password: string): Buffer {
  const field = (value: string): Buffer => {
    const bytes = Buffer.from(value)
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes])
  }
  const variableHeader = Buffer.concat([field('MQTT'), Buffer.from([4, 0x80 | 0x40 | 0x02, 0, 60])])
  const body = Buffer.concat([variableHeader, field(clientId), field(clientId), field(password)])
  return Buffer.concat([fixedHeader(0x10, body.length), body])
}

/** Sends one CONNECT over a raw socket and returns every byte the gateway answers until it closes. */
export async function rawConnack(port: number, clientId: string, password: string): Promise<Buffer> {
  const socket = await rawSocket(port)
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  const closed = once(socket, 'close')
  socket.write(connectPacket(clientId, password))
  await closed
  return Buffer.concat(received)
}
