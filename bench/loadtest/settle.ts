import type { DeviceLedger } from './reconcile.js'
import type { RunLedger } from './run-ledger.js'
import type { ReadingClock } from './schedule.js'
import { storedBySeq, storedCounts, type StoreLocation } from './stored-readings.js'

export interface SettleOptions {
  ledger: Pick<RunLedger, 'kafkaDistinct' | 'acked'>
  /** Readings InfluxDB holds for the run now (stored-readings.ts `storedTotal`). */
  storedTotal: () => Promise<number>
  qos: 0 | 1
  samples: number
  clock: { now(): number }
  /** Give up waiting at this time (ms since the epoch). */
  deadlineMs: number
  /** Stop early when neither Kafka nor InfluxDB moved for this long. */
  quietMs: number
  /** Extra condition for "done" (e.g. no probe still waiting). */
  idle?: () => boolean
  /**
   * Records the target's consumer groups have not committed yet (undefined: not known). While
   * a store still owes records it is working, not quiet: a slow batch writer (a Telegraf agent
   * retrying a timed-out write) is waited for up to the deadline instead of called lossy.
   */
  pendingRecords?: () => Promise<number | undefined>
  /** Between polls; injected by the unit tests, which move the clock instead. */
  sleep?: (ms: number) => Promise<void>
}

/** How often the groups' lag is read: each read opens a Kafka client. */
const PENDING_POLL_MS = 5_000

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits until what reached Kafka is also in InfluxDB: the store lags the broker by its batch
 * interval, and a restarted processor by much more. Returns when the last new reading was
 * seen in InfluxDB. Done means: every acknowledged message reached Kafka (QoS 1; for QoS 0,
 * Kafka went quiet) and every reading that reached Kafka is stored. Loss never looks like
 * "done": it ends by the quiet period or the deadline instead, and the reconciliation names it.
 */
export async function waitUntilSettled(options: SettleOptions): Promise<{ lastStoredAtMs: number }> {
  const { ledger, clock } = options
  const pause = options.sleep ?? sleep
  let stored = -1
  let kafka = -1
  let lastChange = clock.now()
  let lastStoredAt = clock.now()
  let kafkaQuietSince = clock.now()
  let pending: number | undefined
  let pendingReadAt = -Infinity
  for (;;) {
    const now = clock.now()
    let total = stored
    try {
      total = await options.storedTotal()
    } catch {
      // InfluxDB busy or restarting: keep waiting, the deadline still holds
    }
    if (total !== stored) {
      stored = total
      lastStoredAt = now
      lastChange = now
    }
    if (ledger.kafkaDistinct !== kafka) {
      kafka = ledger.kafkaDistinct
      kafkaQuietSince = now
      lastChange = now
    }
    const kafkaComplete =
      options.qos === 1 ? ledger.kafkaDistinct >= ledger.acked : now - kafkaQuietSince >= 2_000
    const storeComplete = stored >= ledger.kafkaDistinct * options.samples
    if (kafkaComplete && storeComplete && (options.idle?.() ?? true)) break
    if (now >= options.deadlineMs) break
    if (options.pendingRecords && now - pendingReadAt >= PENDING_POLL_MS) {
      pendingReadAt = now
      const owed = await options.pendingRecords().catch(() => undefined)
      if (owed !== undefined && owed !== pending) lastChange = now
      pending = owed
    }
    if (now - lastChange >= options.quietMs && !(pending !== undefined && pending > 0)) break
    await pause(1_000)
  }
  return { lastStoredAtMs: lastStoredAt }
}

/**
 * What InfluxDB holds per device: one count query for all, and the points' times (hence
 * seqs) only for devices whose count is not exactly what they published.
 */
export async function storedPerDevice(
  ledger: RunLedger,
  store: StoreLocation,
  deviceIds: readonly string[],
  clock: ReadingClock,
  samples: number,
): Promise<DeviceLedger[]> {
  const counts = await storedCounts(store)
  const expected = ledger.deviceLedgers(deviceIds, () => ({ stored: 'all', foreign: 0 }))
  const detail = new Map<number, { stored: DeviceLedger['stored']; foreign: number }>()
  const uneven = expected.flatMap((l, d) =>
    (counts.get(l.deviceId) ?? 0) === l.lastSeq * samples ? [] : [d],
  )
  // A few queries at a time: InfluxDB is still one of the measured processes.
  for (let i = 0; i < uneven.length; i += 4) {
    await Promise.all(
      uneven.slice(i, i + 4).map(async (d) => {
        const { bySeq, foreign } = await storedBySeq(store, deviceIds[d] as string, d, clock)
        detail.set(d, { stored: bySeq, foreign })
      }),
    )
  }
  return ledger.deviceLedgers(deviceIds, (d) => detail.get(d) ?? { stored: 'all', foreign: 0 })
}
