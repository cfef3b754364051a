import type { Logger } from 'pino'
import type { Clock } from '../core/clock.js'
import { PipelineError } from '../core/errors.js'
import type { RecoveringProducer } from '../core/kafka/recovering-producer.js'
import type { Component } from '../core/lifecycle.js'
import { heartbeatRecord } from '../core/telemetry/heartbeat.js'
import type { GatewayMetrics } from './metrics.js'

export interface HeartbeatsDeps {
  /** The producer telemetry goes through: a heartbeat takes the same FIFO path, so it never overtakes. */
  producer: Pick<RecoveringProducer, 'produce' | 'unavailable' | 'waiting'>
  /** The telemetry channels; each of their partitions gets a heartbeat. */
  channels: readonly string[]
  /** Partition count per channel from Kafka metadata (a channel missing from the map is skipped). */
  partitionCounts: () => Promise<ReadonlyMap<string, number>>
  gatewayId: string
  intervalMs: number
  /** How often the partition counts are read again (partitions can be added). */
  metadataRefreshMs: number
  /** The producer's waiting bound: a heartbeat is skipped, never refused, when the backlog is full. */
  maxWaitingRecords: number
  clock: Clock
  metrics: Pick<GatewayMetrics, 'heartbeatsSent' | 'heartbeatsSkipped'>
  logger: Logger
}

export interface Heartbeats extends Component {
  /**
   * Graceful stop: ends the periodic heartbeats and enqueues one final heartbeat per partition
   * carrying `graceMs`; resolves once each was delivered or failed. Call it before the gateway
   * closes its connections, so the heartbeat precedes their disconnect records on every partition.
   */
  finish(graceMs: number): Promise<void>
}

export type HeartbeatSkip = 'not_ready' | 'pending' | 'backlog_full' | 'no_metadata'

/**
 * Issue #9, per-device time: a partition's clock (in alerting) is the gateway receive time of its
 * latest record or heartbeat. Every `intervalMs` each partition of each telemetry channel gets a
 * keyless, empty record with the gateway id and receive time, produced to that partition
 * explicitly through the gateway's own producer, behind whatever telemetry waits there: its
 * receive time is always at least that of every record enqueued before it, so a backlog never
 * looks like silent devices. During an outage nothing piles up: a partition whose last heartbeat
 * is still undelivered, a producer that is not ready, or a full backlog skips the beat (counted).
 */
export function createHeartbeats(deps: HeartbeatsDeps): Heartbeats {
  const { producer, clock, metrics } = deps
  const log = deps.logger.child({ component: 'gateway.heartbeats' })
  const undelivered = new Set<string>()
  let counts: ReadonlyMap<string, number> = new Map()
  let refreshing = false
  let refreshDueMs = Number.NEGATIVE_INFINITY
  let loop: Promise<void> | undefined
  let abort: AbortController | undefined
  let finished = false

  async function refresh(): Promise<void> {
    if (refreshing) return
    refreshing = true
    try {
      const next = new Map<string, number>()
      const all = await deps.partitionCounts()
      for (const channel of deps.channels) {
        const n = all.get(channel)
        if (n !== undefined && n > 0) next.set(channel, n)
      }
      if (!sameCounts(counts, next))
        log.info({ partitions: Object.fromEntries(next) }, 'heartbeat partitions')
      counts = next
    } catch (err) {
      log.warn({ err }, 'cannot read the telemetry partition counts; heartbeats use the last known')
    } finally {
      refreshing = false
      // Until the counts are known, retried every few beats; then once per metadataRefreshMs.
      const known = counts.size > 0
      refreshDueMs =
        clock.now() + (known ? deps.metadataRefreshMs : Math.min(deps.metadataRefreshMs, 5 * deps.intervalMs))
    }
  }

  function skip(reason: HeartbeatSkip, n = 1): void {
    if (n > 0) metrics.heartbeatsSkipped.inc({ reason }, n)
  }

  function totalPartitions(): number {
    let n = 0
    for (const count of counts.values()) n += count
    return n
  }

  /** Enqueues one heartbeat; the receive time is read at the moment it joins the producer's queue. */
  function send(topic: string, partition: number, graceMs?: number): Promise<void> {
    const slot = `${topic}\u0000${partition}`
    undelivered.add(slot)
    const record = heartbeatRecord(topic, partition, deps.gatewayId, clock.now(), graceMs)
    return producer.produce(record).then(
      () => {
        undelivered.delete(slot)
        metrics.heartbeatsSent.inc({ outcome: 'delivered' })
      },
      (err: unknown) => {
        undelivered.delete(slot)
        const code = err instanceof PipelineError ? err.code : undefined
        if (code === 'KAFKA_BACKLOG_FULL') skip('backlog_full')
        else if (code === 'KAFKA_NOT_CONNECTED') skip('not_ready')
        else metrics.heartbeatsSent.inc({ outcome: 'failed' })
      },
    )
  }

  /** One round: a heartbeat for each partition that may have one now. */
  function beat(): void {
    if (counts.size === 0) return skip('no_metadata', deps.channels.length)
    if (producer.unavailable() !== undefined) return skip('not_ready', totalPartitions())
    for (const [topic, n] of counts) {
      for (let partition = 0; partition < n; partition++) {
        if (undelivered.has(`${topic}\u0000${partition}`)) skip('pending')
        else if (producer.waiting().records >= deps.maxWaitingRecords) skip('backlog_full')
        else void send(topic, partition)
      }
    }
  }

  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (clock.now() >= refreshDueMs) void refresh()
      beat()
      try {
        await clock.sleep(deps.intervalMs, signal)
      } catch {
        return
      }
    }
  }

  function halt(): Promise<void> {
    abort?.abort(new Error('heartbeats stopping'))
    abort = undefined
    const running = loop
    loop = undefined
    return running ?? Promise.resolve()
  }

  return {
    name: 'heartbeats',
    async start() {
      finished = false
      await refresh()
      abort = new AbortController()
      loop = run(abort.signal)
      log.info({ gatewayId: deps.gatewayId, intervalMs: deps.intervalMs }, 'heartbeats started')
    },
    finish(graceMs) {
      if (finished) return Promise.resolve()
      finished = true
      // Enqueued synchronously, before the caller closes any connection.
      const halted = halt()
      if (counts.size === 0) return halted.then(() => skip('no_metadata', deps.channels.length))
      if (producer.unavailable() !== undefined) return halted.then(() => skip('not_ready', totalPartitions()))
      // Sent even where an earlier heartbeat is undelivered: one more per partition, once.
      const sent: Array<Promise<void>> = []
      for (const [topic, n] of counts) {
        for (let partition = 0; partition < n; partition++) sent.push(send(topic, partition, graceMs))
      }
      return Promise.all([halted, ...sent]).then(() =>
        log.info({ partitions: sent.length, graceMs }, 'final heartbeats done: devices may move for graceMs'),
      )
    },
    async stop() {
      finished = true
      await halt()
    },
  }
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}
