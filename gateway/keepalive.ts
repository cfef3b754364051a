import type { Client } from 'aedes'
import type { GatewayMetrics } from './metrics.js'

/**
 * The parts of an aedes 1.2 client this file relies on (lib/client.js, lib/handlers/connect.js,
 * lib/handlers/index.js): the keepalive timer aedes arms at CONNECT (1.5 × keepalive) and
 * refreshes after each packet it handles, and the flags saying the CONNACK went out. aedes
 * sets `conn.client` on the stream it was handed. Not public API: ADR 0012 says why we lean on
 * it and tests/integration/gateway/kafka-outage.test.ts catches a change of it.
 */
interface AedesKeepaliveInternals {
  closed: boolean
  connackSent: boolean
  _keepaliveInterval: number
  _keepaliveTimer: NodeJS.Timeout | null
}

export interface KeepaliveFront {
  /** A packet of this connection arrived (seen in front of the broker): the device is alive. */
  seen(conn: object): void
  /** A PINGREQ arrived; true when it is answered here (the connection's CONNACK went out). */
  ping(conn: object): boolean
}

export interface Keepalive extends KeepaliveFront {
  /** The client has a publish waiting for Kafka until the returned function is called. */
  hold(client: Client): () => void
  stop(): void
}

/** How often the timers of clients with a waiting publish are refreshed (≪ the 1.5 s of keepalive 1). */
const HOLD_SWEEP_MS = 500

function internals(client: unknown): AedesKeepaliveInternals | undefined {
  return client as AedesKeepaliveInternals | undefined
}

function refresh(client: AedesKeepaliveInternals | undefined): void {
  if (client && !client.closed && client._keepaliveInterval > 0) client._keepaliveTimer?.refresh()
}

/**
 * Issue #10, finding 6 (ADR 0012). aedes counts a connection's unfinished packets and reads on
 * when the count falls to zero (each new 'readable' also takes one off); a publish waits in
 * `authorizePublish` for its Kafka delivery report (ADR 0004), so when that read loop stalls
 * during an outage aedes neither sees the device's PINGREQ (the device, getting no PINGRESP,
 * gives up) nor refreshes its keepalive timer (it drops the device at 1.5 × keepalive). Our
 * before-runs did not make it stall (ADR 0012); these are safeguards. Two remedies:
 *
 * - in front of the broker (packet-guard.ts), every packet read from the socket counts as
 *   life, as MQTT-3.1.2-24 says, and a PINGREQ is answered there with a PINGRESP;
 * - while a client has a publish waiting for Kafka, its timer is refreshed: the device is
 *   waiting for us, not we for it.
 */
export function createKeepalive(metrics: GatewayMetrics): Keepalive {
  const held = new Map<Client, number>()
  let sweep: NodeJS.Timeout | undefined

  function ensureSweep(): void {
    sweep ??= setInterval(() => {
      for (const client of held.keys()) refresh(internals(client))
    }, HOLD_SWEEP_MS).unref()
  }

  return {
    seen(conn) {
      refresh(internals((conn as { client?: unknown }).client))
    },
    ping(conn) {
      const client = internals((conn as { client?: unknown }).client)
      // Before the CONNACK a PINGREQ is a protocol error: aedes sees it and closes the connection.
      if (!client || client.closed || !client.connackSent) return false
      refresh(client)
      metrics.pingsAnswered.inc()
      return true
    },
    hold(client) {
      held.set(client, (held.get(client) ?? 0) + 1)
      ensureSweep()
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (held.get(client) ?? 1) - 1
        if (left > 0) held.set(client, left)
        else held.delete(client)
        if (held.size === 0 && sweep) {
          clearInterval(sweep)
          sweep = undefined
        }
      }
    },
    stop() {
      held.clear()
      if (sweep) clearInterval(sweep)
      sweep = undefined
    },
  }
}
