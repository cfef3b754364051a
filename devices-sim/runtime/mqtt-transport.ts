import mqtt, { type MqttClient } from 'mqtt'
import { gatewayConnectTarget } from '../../core/gateway-list.js'
import { backoffDelay } from '../../core/retry.js'
import { deviceTopic } from '../../core/telemetry/mqtt-topics.js'
import type { Rng } from '../rng.js'

/** How one simulated device talks to the broker. */
export interface DeviceTransport {
  connect(): void
  isConnected(): boolean
  /** Resolves when the broker acknowledged the publish (PUBACK for QoS 1); rejects if the client is closed. */
  publish(payload: Uint8Array): Promise<void>
  /** Drops the connection abruptly, as a network loss would (the broker then sends the last will). */
  dropConnection(): void
  /** Reconnects after `dropConnection`; the persistent session resends unacknowledged publishes. */
  restoreConnection(): void
  /** Graceful DISCONNECT after in-flight publishes are acknowledged (no last will). */
  close(timeoutMs: number): Promise<void>
}

export interface TransportEvents {
  onConnect(deviceId: string): void
  onDisconnect(deviceId: string): void
  onError(deviceId: string, err: Error): void
}

export interface MqttTransportOptions {
  /** The gateway list (one URL or several, core/gateway-list.ts): several, and the device moves on loss. */
  urls: readonly string[]
  /** Where this device starts in the list (its fleet index: a fleet spreads over the gateways). */
  index: number
  deviceId: string
  password: string | undefined
  qos: 0 | 1 | 2
  keepaliveSeconds: number
  connectTimeoutMs: number
  reconnectMinMs: number
  reconnectMaxMs: number
  rng: Rng
  events: TransportEvents
}

/**
 * A device's MQTT connection as real firmware does it: client id = device id, per-device
 * credentials, QoS 1, a persistent session (clean=false) so unacknowledged publishes are
 * resent after a reconnect, a last will on devices/{id}/status, reconnect with capped
 * exponential backoff and jitter.
 */
export function createMqttTransport(options: MqttTransportOptions): DeviceTransport {
  const { deviceId, events } = options
  let client: MqttClient | undefined
  let attempts = 0
  let wantOnline = true
  let closing = false
  let reconnectTimer: NodeJS.Timeout | undefined

  function scheduleReconnect(): void {
    if (!wantOnline || closing || reconnectTimer) return
    attempts++
    const delay = backoffDelay(
      attempts,
      { attempts: Infinity, initialDelayMs: options.reconnectMinMs, maxDelayMs: options.reconnectMaxMs },
      () => options.rng.next(),
    )
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined
      // connect() (not reconnect()) keeps the session stores: unacked QoS 1 publishes are resent.
      if (wantOnline && !closing && client && !client.connected) client.connect()
    }, delay)
  }

  function create(): MqttClient {
    // With several gateways MQTT.js takes the next entry at every (re)connect: a device whose
    // gateway died moves on, keeping its outgoing store (unacknowledged QoS 1 publishes are resent).
    const target = gatewayConnectTarget(options.urls, options.index)
    const c = mqtt.connect(target.url, {
      ...(target.servers ? { servers: target.servers } : {}),
      clientId: deviceId,
      username: deviceId,
      password: options.password,
      clean: false,
      protocolVersion: 4,
      keepalive: options.keepaliveSeconds,
      connectTimeout: options.connectTimeoutMs,
      reconnectPeriod: 0, // our own backoff below; mqtt.js only knows a fixed period
      resubscribe: false,
      will: {
        topic: deviceTopic(deviceId, 'status'),
        payload: Buffer.from(JSON.stringify({ state: 'offline', reason: 'connection-lost' })),
        qos: 1,
        retain: false,
      },
    })
    c.on('connect', () => {
      attempts = 0
      // TCP_NODELAY, as the gateway sets it: a small publish must not wait for a delayed ACK
      // (performance.md §5). WebSocket and TLS streams have their own socket underneath.
      ;(c.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true)
      events.onConnect(deviceId)
    })
    c.on('close', () => {
      events.onDisconnect(deviceId)
      scheduleReconnect()
    })
    c.on('error', (err) => events.onError(deviceId, err))
    return c
  }

  return {
    connect() {
      client ??= create()
    },
    isConnected: () => client?.connected ?? false,
    async publish(payload) {
      if (!client) throw new Error(`${deviceId}: publish before connect`)
      await client.publishAsync(deviceTopic(deviceId, 'telemetry'), Buffer.from(payload), {
        qos: options.qos,
      })
    },
    dropConnection() {
      wantOnline = false
      client?.stream.destroy()
    },
    restoreConnection() {
      wantOnline = true
      attempts = 0
      if (client && !client.connected) client.connect()
    },
    async close(timeoutMs) {
      closing = true
      if (reconnectTimer) clearTimeout(reconnectTimer)
      if (!client) return
      const c = client
      const graceful = c.connected ? c.endAsync(false) : c.endAsync(true)
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())
      await Promise.race([graceful, timeout])
      if (!c.disconnected) await c.endAsync(true)
    },
  }
}
