/**
 * The open-loop publish schedule, as pure arithmetic. Messages are numbered n = 0, 1, 2, … in
 * the order they are due; message n belongs to device n mod D with sequence number
 * floor(n / D) + 1, so every (device, seq) has one scheduled time, computable from nothing
 * else. That makes latency measurable from the scheduled time (no coordinated omission) and
 * lets a stored reading's time name its sequence number without a per-message ledger.
 *
 * The rate rises linearly from 0 to `ratePerSec` over `rampUpMs`, then stays flat:
 * messages due by time t are N(t) = R·t²/(2·ramp) during the ramp, R·ramp/2 + R·(t − ramp) after.
 */
export interface LoadScheduleSpec {
  devices: number
  ratePerSec: number
  durationMs: number
  rampUpMs: number
  /** Readings per message. */
  samples: number
}

export interface LoadSchedule extends LoadScheduleSpec {
  /** Messages offered over the whole run. */
  readonly total: number
  /** Time between two messages of one device once the ramp is over, ms. */
  readonly deviceIntervalMs: number
  /** Time between two readings inside one message, ms (whole, ≥ 1: InfluxDB keeps ms). */
  readonly readingSpacingMs: number
  /** Offset of message n from the start of the run, ms (fractional). */
  offsetMs(n: number): number
  /** Messages due by `offsetMs` (N(t)), fractional; the progress meter's "offered". */
  dueBy(offsetMs: number): number
  deviceOf(n: number): number
  seqOf(n: number): number
  indexOf(device: number, seq: number): number
  /** Highest sequence number device `device` publishes. */
  lastSeq(device: number): number
}

/** Per-device interval below this cannot hold distinct ms reading times (see readingSpacing). */
export const minDeviceIntervalMs = (samples: number): number => samples + 2

export function createSchedule(spec: LoadScheduleSpec): LoadSchedule {
  const { devices, durationMs, rampUpMs, samples } = spec
  const perMs = spec.ratePerSec / 1000
  const rampMessages = (perMs * rampUpMs) / 2
  const dueBy = (t: number): number => {
    if (t <= 0) return 0
    if (t < rampUpMs) return (perMs * t * t) / (2 * rampUpMs)
    return rampMessages + perMs * (t - rampUpMs)
  }
  const offsetMs = (n: number): number =>
    n <= rampMessages && rampUpMs > 0
      ? Math.sqrt((2 * rampUpMs * n) / perMs)
      : rampUpMs + (n - rampMessages) / perMs
  // Message n is offered when its time falls inside the run: n < N(duration).
  const total = Math.ceil(dueBy(durationMs) - 1e-9)
  const deviceIntervalMs = devices / perMs
  // Rounded send times of two consecutive messages of a device differ by at least interval − 1 ms;
  // spreading the readings over interval − 2 keeps the newest of one message strictly older
  // than the oldest of the next, so no two readings of a device share a millisecond.
  const readingSpacingMs = samples <= 1 ? 1 : Math.max(1, Math.floor((deviceIntervalMs - 2) / samples))
  const deviceOf = (n: number): number => n % devices
  const seqOf = (n: number): number => Math.floor(n / devices) + 1
  return {
    ...spec,
    total,
    deviceIntervalMs,
    readingSpacingMs,
    offsetMs,
    dueBy,
    deviceOf,
    seqOf,
    indexOf: (device, seq) => (seq - 1) * devices + device,
    lastSeq: (device) => (device < total ? Math.floor((total - 1 - device) / devices) + 1 : 0),
  }
}

/** Where a run's readings sit on the wall clock: the schedule anchored at `startMs`. */
export interface ReadingClock {
  /** The device timestamp of message n: its scheduled send time, whole ms. */
  sendTimeMs(n: number): number
  /** Reading i (0 = oldest) of message n; the newest reading is the send time. */
  readingTimeMs(n: number, i: number): number
  /** The scheduled send time of message n, fractional ms: what latencies are measured from. */
  scheduledMs(n: number): number
  /**
   * The (seq, reading index) whose reading time is `timeMs` for this device, or undefined
   * when no reading of the device has that time. Binary search over the device's messages.
   */
  locate(device: number, timeMs: number): { seq: number; reading: number } | undefined
}

export function readingClock(schedule: LoadSchedule, startMs: number): ReadingClock {
  const { samples, readingSpacingMs: spacing } = schedule
  const scheduledMs = (n: number): number => startMs + schedule.offsetMs(n)
  const sendTimeMs = (n: number): number => Math.round(scheduledMs(n))
  return {
    scheduledMs,
    sendTimeMs,
    readingTimeMs: (n, i) => sendTimeMs(n) - (samples - 1 - i) * spacing,
    locate(device, timeMs) {
      let lo = 1
      let hi = schedule.lastSeq(device)
      if (hi === 0) return undefined
      // Smallest seq whose send time is at or after timeMs: the only message that can hold it.
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (sendTimeMs(schedule.indexOf(device, mid)) >= timeMs) hi = mid
        else lo = mid + 1
      }
      const send = sendTimeMs(schedule.indexOf(device, lo))
      const back = send - timeMs
      if (back < 0 || back % spacing !== 0 || back / spacing > samples - 1) return undefined
      return { seq: lo, reading: samples - 1 - back / spacing }
    },
  }
}
