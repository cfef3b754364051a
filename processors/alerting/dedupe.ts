import type { Clock } from '../../core/clock.js'
import type { Logger } from '../../core/log.js'
import { createLruMap } from '../../core/lru-map.js'

/**
 * Duplicate detection by (device, boot, seq) (ADR 0004: "consumers drop duplicates"; issue #9
 * finding 5). A device resends every unacknowledged message after an outage, and the gateway may
 * already have delivered some of them: the copies must not be evaluated again.
 *
 * Memory is bounded twice:
 * - **Per device**, a sliding window of the last `windowSeqs` sequence numbers of each of its
 *   latest `MAX_BOOTS` boots: the highest seq seen plus a circular bitmap (bit `seq % windowSeqs`),
 *   so checking and advancing are O(1) amortised and a device costs windowSeqs / 8 bytes per boot.
 *   A bitmap rather than "highest seq only" because resends and reordering interleave: a gap
 *   filled later is new data, not a duplicate. An LRU of seqs would cost 8+ bytes per entry.
 * - **Across devices**, an LRU of at most `maxDevices` devices (a Map in use order). An evicted
 *   device starts afresh: its next duplicate is evaluated once more (counted as an eviction).
 *
 * A seq older than the window cannot be judged. It is evaluated and counted (`beyond_window`):
 * losing a real reading is worse than a late duplicate, which the engine flags `late` anyway.
 * The windows travel in the device's alert state snapshot (state-store.ts), so a resend after a
 * restart is still recognised.
 */

export interface DedupeLimits {
  windowSeqs: number
  maxDevices: number
}

export type DedupeVerdict = 'new' | 'duplicate' | 'beyond_window'

/** One boot's window as stored in the snapshot: bitmap base64, indexed by seq % w. */
export interface StoredBootWindow {
  boot: string
  high: number
  w: number
  bits: string
}

/** Boots remembered per device: the current one and a couple before it (a reboot during an outage). */
export const MAX_BOOTS = 3

interface BootWindow {
  boot: string
  high: number
  bits: Uint8Array
}

export interface Dedupe {
  check(deviceId: string, boot: string, seq: number): DedupeVerdict
  export(deviceId: string): StoredBootWindow[] | undefined
  /** Restores a device's windows; windows of another size (config changed) are dropped. */
  import(deviceId: string, stored: readonly StoredBootWindow[]): void
  clear(): void
  size(): number
}

export function createDedupe(limits: DedupeLimits, onEvict: (deviceId: string) => void): Dedupe {
  const w = limits.windowSeqs
  const devices = createLruMap<string, BootWindow[]>(limits.maxDevices, (deviceId) => onEvict(deviceId))

  const bit = (win: BootWindow, seq: number): boolean => {
    const i = seq % w
    return ((win.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0
  }
  const set = (win: BootWindow, seq: number, on: boolean): void => {
    const i = seq % w
    const byte = win.bits[i >> 3] ?? 0
    win.bits[i >> 3] = on ? byte | (1 << (i & 7)) : byte & ~(1 << (i & 7))
  }

  /** The device's windows, moved to the most recently used end of the LRU. */
  function touch(deviceId: string): BootWindow[] {
    return devices.use(deviceId, () => [])
  }

  return {
    check(deviceId, boot, seq) {
      const windows = touch(deviceId)
      let win = windows.find((x) => x.boot === boot)
      if (!win) {
        win = { boot, high: 0, bits: new Uint8Array(Math.ceil(w / 8)) }
        windows.unshift(win)
        windows.length = Math.min(windows.length, MAX_BOOTS)
      } else if (windows[0] !== win) {
        windows.splice(windows.indexOf(win), 1)
        windows.unshift(win)
      }
      if (seq > win.high) {
        // Clear the slots the window slides over, then mark this seq.
        if (seq - win.high >= w) win.bits.fill(0)
        else for (let s = win.high + 1; s < seq; s++) set(win, s, false)
        set(win, seq, true)
        win.high = seq
        return 'new'
      }
      if (win.high - seq >= w) return 'beyond_window'
      if (bit(win, seq)) return 'duplicate'
      set(win, seq, true)
      return 'new'
    },
    export(deviceId) {
      const windows = devices.peek(deviceId)
      if (!windows || windows.length === 0) return undefined
      return windows.map((x) => ({
        boot: x.boot,
        high: x.high,
        w,
        bits: Buffer.from(x.bits).toString('base64'),
      }))
    },
    import(deviceId, stored) {
      const windows = stored
        .filter((x) => x.w === w)
        .slice(0, MAX_BOOTS)
        .map((x) => {
          const bits = new Uint8Array(Math.ceil(w / 8))
          bits.set(Buffer.from(x.bits, 'base64').subarray(0, bits.length))
          return { boot: x.boot, high: x.high, bits }
        })
      touch(deviceId).push(...windows)
    },
    clear: () => devices.clear(),
    size: () => devices.size,
  }
}

const EVICTION_LOG_EVERY_MS = 60_000

/** What a forgotten device costs: counted each time, logged at most once a minute with how many. */
export function evictionReporter(deps: {
  log: Logger
  clock: Clock
  maxDevices: number
  count: () => void
}): (deviceId: string) => void {
  let evicted = 0
  let loggedAtMs = Number.NEGATIVE_INFINITY
  return () => {
    deps.count()
    evicted++
    const now = deps.clock.now()
    if (now - loggedAtMs < EVICTION_LOG_EVERY_MS) return
    deps.log.warn(
      { devices: evicted, maxDevices: deps.maxDevices },
      'dedupe memory full: the least recently seen devices were forgotten; a duplicate of theirs is evaluated again',
    )
    evicted = 0
    loggedAtMs = now
  }
}
