import { connect as tcpConnect } from 'node:net'
import { gatewayServer, parseGatewayList, rotateFor } from '../../core/gateway-list.js'
import { MqttClient } from 'mqtt'
import { deviceTopic } from '../../core/telemetry/mqtt-topics.js'

/** One simulated device's MQTT connection, kept as lean as the generator's CPU budget needs. */
export interface LoadClient {
  readonly deviceId: string
  /** `done` runs on PUBACK (QoS 1), on the socket write (QoS 0), or with the error. */
  publish(payload: Buffer, done: (err?: Error) => void): void
  connected(): boolean
  close(): Promise<void>
}

export interface ConnectionEvents {
  connects: number
  disconnects: number
  errors: number
  lastError: string | undefined
}

export interface LoadClientOptions {
  /** One gateway URL or a comma-separated gateway list (core/gateway-list.ts). */
  url: string
  /** The device's place in the fleet: where it starts in the gateway list. */
  index: number
  deviceId: string
  password: string | undefined
  qos: 0 | 1
  events: ConnectionEvents
  onConnect(): void
}

/**
 * mqtt.js over a TCP socket with TCP_NODELAY (performance.md §5: without it small publishes
 * wait for delayed ACKs and the test measures Nagle, not the pipeline). QoS 1 uses a
 * persistent session, so unacknowledged publishes are resent after a reconnect; QoS 0 is
 * fire-and-forget like device firmware: nothing is queued while disconnected.
 */
export function createLoadClient(options: LoadClientOptions): LoadClient {
  const { deviceId, events } = options
  // Our own stream builder (TCP_NODELAY), so MQTT.js's `servers` rotation does not apply: the same
  // rotation here, the next gateway of the device's list at every (re)connect (ADR 0022).
  const order = rotateFor(parseGatewayList(options.url).map(gatewayServer), options.index)
  let connects = 0
  const topic = deviceTopic(deviceId, 'telemetry')
  const client = new MqttClient(
    () => {
      const { host, port } = order[connects++ % order.length] ?? { host: '127.0.0.1', port: 1883 }
      const socket = tcpConnect({ host, port })
      socket.setNoDelay(true)
      return socket
    },
    {
      clientId: deviceId,
      username: deviceId,
      password: options.password,
      clean: false,
      protocolVersion: 4,
      keepalive: 60,
      connectTimeout: 30_000,
      reconnectPeriod: 1_000,
      resubscribe: false,
      queueQoSZero: false,
    },
  )
  client.on('connect', () => {
    events.connects++
    options.onConnect()
  })
  client.on('close', () => events.disconnects++)
  client.on('error', (err) => {
    events.errors++
    events.lastError = err.message
  })
  const qos = { qos: options.qos }
  return {
    deviceId,
    publish(payload, done) {
      client.publish(topic, payload, qos, (err) => done(err ?? undefined))
    },
    connected: () => client.connected,
    async close() {
      await client.endAsync(true)
    },
  }
}
