import mqtt, { type MqttClient } from 'mqtt'
import { gatewayConnectTarget } from '../../core/gateway-list.js'
import { encodeTelemetry } from '../../core/telemetry/envelope.js'

export interface PublisherStats {
  /** Highest seq handed to the client, per device. */
  published: Map<string, number>
  /** Seqs whose PUBACK came back, per device. */
  acked: Map<string, Set<number>>
  totalAcked(): number
  totalPublished(): number
}

export interface Publishers extends PublisherStats {
  /** Connections lost after they were up (gateway or device side), across all devices. */
  connectionsLost(): number
  /** Every reconnect after a lost connection: how long the device was off, where it went, its session. */
  moves(): ReadonlyArray<PublisherMove>
  /** Per acknowledged reading: when it was first sent and how long its PUBACK took (resends included). */
  ackTimes(): ReadonlyArray<{ sentAt: number; latencyMs: number }>
  /** Stops publishing, waits (bounded) for every outstanding PUBACK, then disconnects. */
  stop(drainTimeoutMs: number): Promise<void>
}

export interface PublisherMove {
  deviceId: string
  /** Connection lost → CONNACK from the next gateway. */
  downMs: number
  fromPort: number
  toPort: number
  /** Session Present of that CONNACK: 0 on a gateway that never saw the device (no shared sessions). */
  sessionPresent: boolean
}

/**
 * Devices as firmware runs them: QoS 1, persistent session, reconnect, a fixed publish schedule.
 * `url` may be a gateway list: device i starts at entry i mod n and moves on down the list when
 * its connection is lost (MQTT.js `servers`, ADR 0022).
 */
export function startPublishers(
  url: string | readonly string[],
  devices: ReadonlyMap<string, string>,
  intervalMs: number,
  options: {
    keepalive?: number
    /** How far a device's clock is off (ms, + ahead): its readings carry that time. */
    clockOffsetMs?: (deviceId: string) => number
  } = {},
): Publishers {
  let lost = 0
  const moves: PublisherMove[] = []
  const urls = typeof url === 'string' ? [url] : url
  const published = new Map<string, number>()
  const acked = new Map<string, Set<number>>()
  const clients: MqttClient[] = []
  const timers: NodeJS.Timeout[] = []
  let resending = true
  const times: Array<{ sentAt: number; latencyMs: number }> = []
  // A device keeps a reading until it is acknowledged. MQTT.js gives up on a QoS 1 publish with
  // "Connection closed" when the connection drops while it is replaying its outgoing store
  // (publishes queued meanwhile are failed, not kept: MQTT.js issue #2015), so, as firmware does,
  // a failed publish is sent again with the same seq until it is acknowledged.
  const send = (
    client: MqttClient,
    deviceId: string,
    seq: number,
    payload: Buffer,
    sentAt = Date.now(),
  ): void => {
    client.publish(`devices/${deviceId}/telemetry`, payload, { qos: 1 }, (err) => {
      if (!err) {
        acked.get(deviceId)?.add(seq)
        times.push({ sentAt, latencyMs: Date.now() - sentAt })
      } else if (resending) setTimeout(() => send(client, deviceId, seq, payload, sentAt), 200).unref()
    })
  }
  for (const [index, [deviceId, secret]] of [...devices].entries()) {
    const target = gatewayConnectTarget(urls, index)
    const client = mqtt.connect(target.url, {
      ...(target.servers ? { servers: target.servers } : {}),
      clientId: deviceId,
      username: deviceId,
      password: secret,
      clean: false,
      keepalive: options.keepalive ?? 30,
      reconnectPeriod: 500,
      connectTimeout: 5_000,
    })
    client.on('error', () => undefined) // refused while the gateway restarts: it reconnects
    let up = false
    let down: { at: number; port: number } | undefined
    const port = (): number => Number(client.options.port)
    client.on('connect', (connack) => {
      up = true
      if (down)
        moves.push({
          deviceId,
          downMs: Date.now() - down.at,
          fromPort: down.port,
          toPort: port(),
          sessionPresent: connack.sessionPresent,
        })
      down = undefined
    })
    client.on('close', () => {
      if (up && resending) {
        lost++
        down = { at: Date.now(), port: port() }
      }
      up = false
    })
    clients.push(client)
    published.set(deviceId, 0)
    acked.set(deviceId, new Set())
    timers.push(
      setInterval(() => {
        const seq = (published.get(deviceId) ?? 0) + 1
        published.set(deviceId, seq)
        const now = Date.now() + (options.clockOffsetMs?.(deviceId) ?? 0)
        const payload = encodeTelemetry({
          deviceId,
          bootId: 'fault-test',
          seq,
          deviceTsMs: now,
          deviceType: 'bedside-monitor',
          samples: [
            { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: now, backfill: false },
          ],
        })
        send(client, deviceId, seq, Buffer.from(payload))
      }, intervalMs),
    )
  }
  const totalAcked = (): number => [...acked.values()].reduce((n, s) => n + s.size, 0)
  const totalPublished = (): number => [...published.values()].reduce((n, s) => n + s, 0)
  return {
    published,
    acked,
    totalAcked,
    totalPublished,
    connectionsLost: () => lost,
    moves: () => moves,
    ackTimes: () => times,
    async stop(drainTimeoutMs) {
      for (const timer of timers) clearInterval(timer)
      const deadline = Date.now() + drainTimeoutMs
      while (totalAcked() < totalPublished() && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100))
      resending = false
      await Promise.all(clients.map((c) => c.endAsync(true)))
    },
  }
}

export interface Reconciliation {
  devices: number
  published: number
  acked: number
  /** Distinct (device, seq) found in Kafka. */
  stored: number
  /** Published seqs that are not in Kafka. */
  lost: number
  /** Acknowledged seqs that are not in Kafka: a broken promise. */
  ackedButLost: number
  /** Extra copies in Kafka (device resends after a lost PUBACK). */
  duplicates: number
}

/** Compares what each device published with the (device, seq) pairs found in Kafka. */
export function reconcile(
  stats: PublisherStats,
  stored: ReadonlyArray<{ deviceId: string; seq: number }>,
): Reconciliation {
  const seen = new Map<string, Set<number>>()
  let duplicates = 0
  for (const { deviceId, seq } of stored) {
    const set = seen.get(deviceId) ?? new Set<number>()
    if (set.has(seq)) duplicates++
    set.add(seq)
    seen.set(deviceId, set)
  }
  let lost = 0
  let ackedButLost = 0
  for (const [deviceId, last] of stats.published) {
    const set = seen.get(deviceId) ?? new Set<number>()
    for (let seq = 1; seq <= last; seq++) if (!set.has(seq)) lost++
    for (const seq of stats.acked.get(deviceId) ?? []) if (!set.has(seq)) ackedButLost++
  }
  return {
    devices: stats.published.size,
    published: stats.totalPublished(),
    acked: stats.totalAcked(),
    stored: [...seen.values()].reduce((n, s) => n + s.size, 0),
    lost,
    ackedButLost,
    duplicates,
  }
}
