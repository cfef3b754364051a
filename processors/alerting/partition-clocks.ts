/**
 * The gateway clock of each input partition (ADR 0016): the receive time of its latest record
 * or gateway heartbeat. Silence is judged on it, per partition, so a backlog being drained, a
 * device clock minutes off, or another partition's traffic moves no device's timer. Two things
 * only the partitions can tell:
 * - a **gap**: consecutive records further apart than gapMs (heartbeats come every second), so
 *   ingress was down in between and nobody could hear the partition's devices;
 * - a **stall**: nothing at all handled from a partition for stallMs of wall time (after a
 *   graceful gateway stop: for its grace period), so its clock itself has stopped.
 * Pure: times come from the caller (record headers, and the pipeline's injected clock).
 */
export interface PartitionClocks {
  /** Forgets everything but the assigned partitions (a rebalance); their quiet time starts at wallMs. */
  assign(partitions: readonly string[], wallMs: number): void
  /** A clock read back from stored state (the clock of a device's partition when its state was written). */
  restore(partition: string, clockMs: number): void
  /**
   * A record or heartbeat of the partition, received by the gateway at rxMs, handled at wallMs.
   * graceMs: the gateway announced its graceful stop. Returns where a gap began, if it ended here.
   */
  observe(partition: string, rxMs: number, wallMs: number, graceMs?: number): { gapFromMs?: number }
  clock(partition: string): number | undefined
  /** The device (and its site) reads this partition: it moves with its clock. */
  join(partition: string, deviceId: string, site: string | undefined): void
  devices(partition: string): ReadonlySet<string>
  /**
   * The clock a device's silence is judged on: the least advanced of the partitions it reads (its
   * status partition, low-volume, is read further ahead than its vitals partition; judging it
   * there raised comm-loss for a device whose readings simply had not been read yet).
   */
  deviceClock(deviceId: string): number | undefined
  sites(partitions: readonly string[]): string[]
  /** Assigned partitions with a known clock from which nothing arrived for their quiet limit. */
  stalled(wallMs: number): string[]
  /** Assigned partitions with a known clock. */
  known(): string[]
}

interface Entry {
  clockMs: number | undefined
  /** Wall time the latest record of the partition was handled (or it was assigned). */
  handledMs: number
  /** How long it may stay quiet: stallMs, or a stopping gateway's grace. */
  quietMs: number
  devices: Set<string>
  sites: Set<string>
}

export function createPartitionClocks(limits: { gapMs: number; stallMs: number }): PartitionClocks {
  let entries = new Map<string, Entry>()
  // Partitions each device was joined to (two at most: its telemetry and its status partition).
  let joined = new Map<string, Set<string>>()
  const fresh = (wallMs: number): Entry => ({
    clockMs: undefined,
    handledMs: wallMs,
    quietMs: limits.stallMs,
    devices: new Set(),
    sites: new Set(),
  })
  const entry = (partition: string, wallMs = 0): Entry => {
    let e = entries.get(partition)
    if (!e) entries.set(partition, (e = fresh(wallMs)))
    return e
  }
  return {
    assign(partitions, wallMs) {
      entries = new Map(partitions.map((p) => [p, fresh(wallMs)]))
      joined = new Map()
    },
    restore(partition, clockMs) {
      const e = entries.get(partition)
      if (e) e.clockMs = Math.max(e.clockMs ?? clockMs, clockMs)
    },
    observe(partition, rxMs, wallMs, graceMs) {
      const e = entry(partition, wallMs)
      const previous = e.clockMs
      e.handledMs = wallMs
      e.quietMs = graceMs === undefined ? limits.stallMs : Math.max(limits.stallMs, graceMs)
      if (previous !== undefined && rxMs <= previous) return {}
      e.clockMs = rxMs
      return previous !== undefined && rxMs - previous > limits.gapMs ? { gapFromMs: previous } : {}
    },
    clock: (partition) => entries.get(partition)?.clockMs,
    join(partition, deviceId, site) {
      const e = entry(partition)
      e.devices.add(deviceId)
      if (site) e.sites.add(site)
      let mine = joined.get(deviceId)
      if (!mine) joined.set(deviceId, (mine = new Set()))
      mine.add(partition)
    },
    devices: (partition) => entries.get(partition)?.devices ?? new Set(),
    deviceClock(deviceId) {
      let least: number | undefined
      for (const p of joined.get(deviceId) ?? []) {
        const ms = entries.get(p)?.clockMs
        if (ms !== undefined && (least === undefined || ms < least)) least = ms
      }
      return least
    },
    sites(partitions) {
      const all = new Set<string>()
      for (const p of partitions) for (const site of entries.get(p)?.sites ?? []) all.add(site)
      return [...all].sort()
    },
    stalled(wallMs) {
      const out: string[] = []
      for (const [p, e] of entries)
        if (e.clockMs !== undefined && wallMs - e.handledMs > e.quietMs) out.push(p)
      return out
    },
    known: () => [...entries].filter(([, e]) => e.clockMs !== undefined).map(([p]) => p),
  }
}
