import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { Component } from '../core/lifecycle.js'
import type { GatewayConfig } from './config.js'

export interface BoundListener {
  name: 'tcp' | 'tls' | 'ws'
  port: number
}

export interface Listeners extends Component {
  bound(): BoundListener[]
}

/**
 * MQTT over TCP (1883), over TLS (8883, when a certificate is configured) and over WebSocket
 * (for browser clients). Stopping closes the listening sockets only: open device connections
 * are closed by the broker afterwards, once in-flight publishes are done.
 */
/** Hands a new connection to the broker (aedes `handle`). */
export type ConnectionHandler = (stream: Duplex, request?: IncomingMessage) => void

export function createListeners(config: GatewayConfig['mqtt'], handle: ConnectionHandler): Listeners {
  const servers: Array<{ name: BoundListener['name']; server: Server | HttpServer; port: number }> = []
  const handleSocket = (socket: Socket): void => {
    // Small frames (a PUBACK) must not wait for Nagle's algorithm: it would add up to 40 ms per ack.
    socket.setNoDelay(true)
    handle(socket)
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
      await listen('tcp', createTcpServer(handleSocket), config.port)
      if (config.tls) {
        const tls = createTlsServer(
          {
            cert: readFileSync(config.tls.certFile),
            key: readFileSync(config.tls.keyFile),
            ...(config.tls.caFile ? { ca: readFileSync(config.tls.caFile) } : {}),
            requestCert: config.tls.requireClientCertificate,
            rejectUnauthorized: config.tls.requireClientCertificate,
          },
          handleSocket,
        )
        await listen('tls', tls, config.tls.port)
      }
      if (config.websocketPort !== false) {
        const http = createHttpServer()
        const wss = new WebSocketServer({ server: http, path: '/mqtt' })
        wss.on('connection', (socket, request) => handle(createWebSocketStream(socket), request))
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
