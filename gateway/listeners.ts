import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Component } from '../core/lifecycle.js'
import type { Admission, RefuseReason } from './admission.js'
import { checkClientCertificate, tlsServerOptions } from './client-certificates.js'
import type { GatewayConfig } from './config.js'
import type { KeepaliveFront } from './keepalive.js'
import type { GatewayMetrics } from './metrics.js'
import { createPacketSizeGuard, guardConnection, type PacketVerdict } from './packet-guard.js'

export interface BoundListener {
  name: 'tcp' | 'tls' | 'ws'
  port: number
}

export interface Listeners extends Component {
  bound(): BoundListener[]
}

/** Hands a new connection to the broker (aedes `handle`). */
export type ConnectionHandler = (stream: Duplex, request?: IncomingMessage) => void

export interface ListenerDeps {
  admission: Admission
  metrics: GatewayMetrics
  logger: Logger
  /** Filled here: the source address of each stream handed to the broker (for auth back-off). */
  addresses: WeakMap<object, string>
  /** Filled here: the device id a verified client certificate names, by stream (mTLS). */
  certificateIdentities: WeakMap<object, string>
  /** PINGREQs answered and packets counted as life in front of the broker (ADR 0012). */
  keepalive?: KeepaliveFront
}

const VIOLATION_REASON: Record<Exclude<PacketVerdict, 'ok'>, RefuseReason> = {
  too_large: 'packet_too_large',
  malformed: 'malformed_packet',
}

/** ws's own code for a frame above maxPayload (it then closes with 1009). */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'

/** A refused client certificate is logged at most once a minute (with the count since): scans repeat. */
const CERTIFICATE_LOG_MS = 60_000

/**
 * MQTT over TCP (1883; `tcp: false` turns it off), over TLS (8883, when a certificate is configured) and over WebSocket
 * (for browser clients). Stopping closes the listening sockets only: open device connections
 * are closed by the broker afterwards, once in-flight publishes are done.
 *
 * Connection-level limits live here, in front of aedes (issue #10, ADR 0009): admission
 * (connection cap, per-address CONNECT rate, auth back-off) at accept, and the packet-size guard
 * between every stream and the broker.
 */
export function createListeners(
  config: GatewayConfig['mqtt'],
  limits: Pick<GatewayConfig['limits'], 'maxPacketBytes'>,
  handle: ConnectionHandler,
  deps: ListenerDeps,
): Listeners {
  const { admission, metrics, addresses, certificateIdentities } = deps
  const log = deps.logger.child({ component: 'gateway.listeners' })
  const servers: Array<{ name: BoundListener['name']; server: Server | HttpServer; port: number }> = []

  /** Admission at accept: a refused socket is closed before any of its bytes is parsed. */
  function admit(socket: Socket, transport: BoundListener['name']): boolean {
    const verdict = admission.admit(socket.remoteAddress)
    if (!verdict.ok) {
      metrics.connectionsRefused.inc({ reason: verdict.reason })
      if (verdict.log)
        log.warn(
          { transport, address: verdict.address, reason: verdict.reason },
          'connection refused at accept',
        )
      socket.destroy()
      return false
    }
    metrics.openSockets.inc()
    socket.once('close', () => {
      verdict.release()
      metrics.openSockets.dec()
    })
    return true
  }

  function violation(transport: BoundListener['name'], address: string, reason: RefuseReason): void {
    metrics.connectionsRefused.inc({ reason })
    // Once per connection (it is closed now); never the bytes themselves.
    log.warn(
      { transport, address, reason, maxPacketBytes: limits.maxPacketBytes },
      'connection closed: packet limit',
    )
  }

  function guarded(stream: Duplex, transport: BoundListener['name'], address: string): Duplex {
    const guard = createPacketSizeGuard(limits.maxPacketBytes)
    const outer = guardConnection(
      stream,
      guard,
      (verdict) => violation(transport, address, VIOLATION_REASON[verdict]),
      deps.keepalive,
    )
    addresses.set(outer, address)
    return outer
  }

  const handleSocket = (socket: Socket, transport: 'tcp' | 'tls', certificateId?: string): void => {
    // Small frames (a PUBACK) must not wait for Nagle's algorithm: it would add up to 40 ms per ack.
    socket.setNoDelay(true)
    const stream = guarded(socket, transport, socket.remoteAddress ?? 'unknown')
    if (certificateId !== undefined) certificateIdentities.set(stream, certificateId)
    handle(stream)
  }

  const refusedCertificates = { count: 0, loggedAt: -Infinity }
  function handleTls(socket: TLSSocket, tls: NonNullable<GatewayConfig['mqtt']['tls']>): void {
    const verdict = checkClientCertificate(socket, tls)
    if (verdict.ok) return handleSocket(socket, 'tls', verdict.deviceId)
    metrics.connectionsRefused.inc({ reason: verdict.reason })
    refusedCertificates.count++
    const now = Date.now()
    if (now - refusedCertificates.loggedAt >= CERTIFICATE_LOG_MS) {
      log.warn(
        {
          address: socket.remoteAddress,
          reason: verdict.reason,
          detail: verdict.detail,
          refusedSinceLastLog: refusedCertificates.count,
        },
        'TLS connection closed: client certificate refused',
      )
      refusedCertificates.count = 0
      refusedCertificates.loggedAt = now
    }
    socket.destroy()
  }

  function listen(name: BoundListener['name'], server: Server | HttpServer, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, config.host, () => {
        const address = server.address()
        servers.push({ name, server, port: typeof address === 'object' && address ? address.port : port })
        resolve()
      })
    })
  }

  return {
    name: 'mqtt-listeners',
    async start() {
      if (config.tcp) {
        await listen(
          'tcp',
          createTcpServer((socket) => {
            if (admit(socket, 'tcp')) handleSocket(socket, 'tcp')
          }),
          config.port,
        )
      }
      const tlsConfig = config.tls
      if (tlsConfig) {
        const tls = createTlsServer(tlsServerOptions(tlsConfig), (socket) => handleTls(socket, tlsConfig))
        // The raw socket, before the handshake: a refused client costs no TLS work.
        tls.on('connection', (raw: Socket) => admit(raw, 'tls'))
        await listen('tls', tls, tlsConfig.port)
      }
      if (config.websocketPort !== false) {
        const http = createHttpServer()
        const wss = new WebSocketServer({
          server: http,
          path: '/mqtt',
          // ws's default is 100 MiB per message; one MQTT packet per message is the norm.
          maxPayload: limits.maxPacketBytes,
          verifyClient: (info, accept) => (admit(info.req.socket, 'ws') ? accept(true) : accept(false, 503)),
        })
        wss.on('connection', (socket, request) => {
          const address = request.socket.remoteAddress ?? 'unknown'
          socket.on('error', (err: Error & { code?: string }) => {
            if (err.code === WS_TOO_LARGE) violation('ws', address, 'packet_too_large')
          })
          // The guard too: a packet may span WebSocket messages, each under maxPayload.
          handle(guarded(createWebSocketStream(socket), 'ws', address), request)
        })
        await listen('ws', http, config.websocketPort)
      }
    },
    stop() {
      // close() stops accepting at once; its callback would wait for every open connection,
      // which the broker ends later in the stop order, so it is not awaited here.
      for (const { server } of servers) server.close()
      return Promise.resolve()
    },
    bound: () => servers.map(({ name, port }) => ({ name, port })),
  }
}
