/**
 * Which brokers a librdkafka client holds a working connection to, from its statistics
 * (`statistics.interval.ms`, the `brokers` object of the `event.stats` JSON). Readiness asks this
 * first: a metadata request goes to one broker of librdkafka's choosing, and when that one is
 * frozen (SIGSTOP, a stalled disk, a cut-off network) the request waits out its timeout and the
 * gateway would call itself not ready while the other brokers serve (fault matrix row 2).
 */

/** The broker fields of librdkafka's statistics this reads (STATISTICS.md: brokers.*). */
interface BrokerStats {
  /** -1 for the bootstrap and internal entries, the broker id once metadata named it. */
  nodeid?: number
  /** INIT, DOWN, CONNECT, AUTH, APIVERSION_QUERY, AUTH_HANDSHAKE, UP, UPDATE. */
  state?: string
}

export interface BrokerCounts {
  known: number
  up: number
}

/** Brokers of the cluster (node id ≥ 0) the client knows, and how many of them are UP. */
export function brokerCounts(statsJson: string): BrokerCounts {
  const parsed = JSON.parse(statsJson) as { brokers?: Record<string, BrokerStats> }
  const brokers = Object.values(parsed.brokers ?? {}).filter((b) => (b.nodeid ?? -1) >= 0)
  return { known: brokers.length, up: brokers.filter((b) => b.state === 'UP').length }
}

export interface BrokerLiveness {
  /** Feed one `event.stats` message. Unreadable statistics are ignored (the answer goes stale). */
  update(statsJson: string): void
  /**
   * True when the latest statistics are fresh and a majority of the known brokers is UP (with
   * replication 3 and min.insync.replicas 2, what acks=all needs); undefined when there is no
   * fresh answer and the caller must ask the cluster itself. Never false: a broker that looks
   * down here may be one librdkafka has not needed yet, so only a real request says "not ready".
   */
  majorityUp(): true | undefined
}

export function createBrokerLiveness(options: { now: () => number; staleMs: number }): BrokerLiveness {
  let latest: (BrokerCounts & { at: number }) | undefined
  return {
    update(statsJson) {
      try {
        latest = { ...brokerCounts(statsJson), at: options.now() }
      } catch {
        // not JSON: keep the previous answer, which goes stale
      }
    },
    majorityUp() {
      if (!latest || options.now() - latest.at > options.staleMs) return undefined
      return latest.known > 0 && latest.up * 2 > latest.known ? true : undefined
    },
  }
}
