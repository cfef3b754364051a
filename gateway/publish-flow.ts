import { setMaxListeners } from 'node:events'
import type { Client, PublishPacket } from 'aedes'
import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import { DEVICE_TOPIC_ROOT } from '../core/telemetry/mqtt-topics.js'
import type { Keepalive } from './keepalive.js'
import { createLogWindow } from './log-window.js'
import type { GatewayMetrics } from './metrics.js'
import { createQos2Dedupe, type IncomingStore } from './qos2-dedupe.js'

export interface PublishFlowDeps {
  keepalive: Keepalive
  incoming: IncomingStore
  metrics: GatewayMetrics
  logger: Logger
  clock: Clock
}

export interface PublishFlow {
  /**
   * Wraps the pre-acknowledgement step of one PUBLISH (broker.ts `authorizePublish`):
   * `forward` gets a signal aborted when the connection closes, and is skipped for a QoS 2
   * retransmission already produced.
   */
  run(
    client: Client,
    packet: PublishPacket,
    forward: (signal: AbortSignal | undefined) => Promise<void>,
  ): Promise<void>
}

const RETAIN_LOG_EVERY_MS = 60_000
/** devices/{id}/telemetry and anything under it: readings, never state to replay to subscribers. */
const TELEMETRY_TOPIC = new RegExp(`^${DEVICE_TOPIC_ROOT}/[^/]+/telemetry(/|$)`)

/**
 * What a publish needs around its produce during a long Kafka outage (issue #10, finding 6;
 * ADR 0012): its client's keepalive held while it waits, its connection's close reaching the
 * producer queue, QoS 2 retransmissions not produced twice, retained telemetry not kept.
 */
export function createPublishFlow(deps: PublishFlowDeps): PublishFlow {
  const { keepalive, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.publish-flow' })
  const dedupe = createQos2Dedupe(deps.incoming)
  const retainLog = createLogWindow(deps.clock, RETAIN_LOG_EVERY_MS)
  const signals = new WeakMap<Client, AbortSignal>()

  /** One per connection: aborted on the stream's close (takeover, keepalive, error, DISCONNECT). */
  function signalOf(client: Client): AbortSignal {
    const known = signals.get(client)
    if (known) return known
    const controller = new AbortController()
    // One listener per publish waiting for the producer: a chunk of a busy device holds dozens.
    setMaxListeners(Number.POSITIVE_INFINITY, controller.signal)
    const conn = client.conn as unknown as { destroyed?: boolean; once(event: 'close', fn: () => void): void }
    if (conn.destroyed) controller.abort()
    else conn.once('close', () => controller.abort())
    signals.set(client, controller.signal)
    return controller.signal
  }

  /**
   * A retained reading would sit in aedes' in-memory retained store for ever (one per device
   * and topic) and be replayed to subscribers that are never meant to read telemetry. Refusing
   * it by closing the connection would make the device resend it in a loop, so it is forwarded
   * with the flag cleared: the reading reaches Kafka and is acknowledged, the broker keeps nothing.
   */
  function refuseRetain(client: Client, packet: PublishPacket): void {
    if (!packet.retain || !TELEMETRY_TOPIC.test(packet.topic)) return
    packet.retain = false
    metrics.retainRefused.inc()
    const refused = retainLog.note()
    if (refused !== undefined)
      log.warn(
        { deviceId: client.id, refused },
        'retained telemetry publishes: retain flag cleared, forwarded without being kept',
      )
  }

  return {
    async run(client, packet, forward) {
      refuseRetain(client, packet)
      // A will is published by aedes after its connection closed: it is the gateway's record of
      // that close, which no device resends, so it is never withdrawn.
      const signal = client.closed ? undefined : signalOf(client)
      const release = keepalive.hold(client)
      try {
        const outcome = await dedupe.forward(client, packet, () => forward(signal))
        if (outcome === 'duplicate') metrics.qos2Duplicates.inc()
      } finally {
        release()
      }
    },
  }
}
