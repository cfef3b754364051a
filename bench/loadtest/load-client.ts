import { connect as tcpConnect } from 'node:net'
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
  url: string
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
  const url = new URL(options.url)
  const port = Number(url.port || 1883)
  const host = url.hostname
  const topic = deviceTopic(deviceId, 'telemetry')
  const client = new MqttClient(
    () => {
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
