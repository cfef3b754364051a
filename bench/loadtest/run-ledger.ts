import type { AlertEvent } from '../../core/alerts/alert-event.js'
import { LatencyHistogram } from './histogram.js'
import type { DeviceLedger } from './reconcile.js'
import type { AlertLatency, SteadyWindow } from './report.js'
import type { LoadSchedule, ReadingClock } from './schedule.js'

/**
 * What happened to every message of a run, by message number n (device and seq follow from n):
 * sent, acknowledged or failed, seen in Kafka how often, and the latencies of each hop. Memory
 * is one byte per message for the Kafka counts plus the messages still awaiting an ack.
 */
export class RunLedger {
  readonly puback = new LatencyHistogram()
  readonly kafka = new LatencyHistogram()
  readonly alert = new LatencyHistogram()
  readonly alertEvents: Record<string, number> = {}
  readonly alertRules: Record<string, number> = {}
  readonly alertsUnmatched: Record<string, number> = {}
  sent = 0
  acked = 0
  failed = 0
  /** Distinct (device, seq) seen in Kafka, and all records seen (duplicates included). */
  kafkaDistinct = 0
  kafkaRecords = 0
  readonly #awaiting = new Set<number>()
  readonly #failed = new Set<number>()
  readonly #kafkaCounts: Uint8Array[]
  /**
   * The steady window (issue #11): messages from the end of the ramp-up on. Capacity is judged
   * on these only, so the ramp's low rates cannot dilute a p99.
   */
  readonly steadyFrom: number
  readonly #steady = {
    acked: 0,
    puback: new LatencyHistogram(),
    alert: new LatencyHistogram(),
    lateness: new LatencyHistogram(),
  }
  readonly loadAlarms: Record<string, number> = {}
  /** Each PUBACK and alert latency as it is recorded (the report's per-second timeline). */
  onLatency: (hop: 'puback' | 'alert', ms: number) => void = () => undefined

  constructor(
    readonly schedule: LoadSchedule,
    readonly clock: ReadingClock,
    /** Whether a raise on this device by this event was injected by the load (else the load caused it). */
    readonly expectedAlarm: (device: number, event: AlertEvent) => boolean = () => true,
  ) {
    this.steadyFrom = Math.min(schedule.total, Math.ceil(schedule.dueBy(schedule.rampUpMs) - 1e-9))
    this.#kafkaCounts = Array.from(
      { length: schedule.devices },
      (_, d) => new Uint8Array(schedule.lastSeq(d) + 1),
    )
  }

  awaitingAck(): number {
    return this.#awaiting.size
  }

  /** Message n went out `latenessMs` after its scheduled time (the generator's own lag). */
  published(n: number, latenessMs = 0): void {
    this.sent++
    this.#awaiting.add(n)
    if (n >= this.steadyFrom) this.#steady.lateness.record(latenessMs)
  }

  /** The publish of message n completed at `nowMs` (PUBACK for QoS 1), or failed. */
  settled(n: number, nowMs: number, err: Error | undefined): void {
    if (!this.#awaiting.delete(n)) return
    if (err) {
      this.failed++
      this.#failed.add(n)
      return
    }
    this.acked++
    const ms = nowMs - this.clock.scheduledMs(n)
    this.puback.record(ms)
    this.onLatency('puback', ms)
    if (n >= this.steadyFrom) {
      this.#steady.acked++
      this.#steady.puback.record(ms)
    }
  }

  /** A record of (device, seq) became readable in Kafka at `arrivedMs`; the first copy carries the latency. */
  inKafka(device: number, seq: number, arrivedMs: number): void {
    this.kafkaRecords++
    const counts = this.#kafkaCounts[device]
    if (!counts || seq < 1 || seq >= counts.length) return
    const seen = counts[seq] ?? 0
    if (seen === 0) {
      this.kafkaDistinct++
      this.kafka.record(arrivedMs - this.clock.scheduledMs(this.schedule.indexOf(device, seq)))
    }
    if (seen < 255) counts[seq] = seen + 1
  }

  /**
   * An alert event for device `device` arrived; its latency runs from the scheduled send of
   * the message that carried the reading at the event's time.
   */
  alerted(device: number, event: AlertEvent, arrivedMs: number): void {
    this.alertEvents[event.transition] = (this.alertEvents[event.transition] ?? 0) + 1
    this.alertRules[event.ruleId] = (this.alertRules[event.ruleId] ?? 0) + 1
    if (event.transition === 'raised' && !this.expectedAlarm(device, event))
      this.loadAlarms[event.ruleId] = (this.loadAlarms[event.ruleId] ?? 0) + 1
    const located = this.clock.locate(device, event.eventTsMs)
    if (!located) {
      this.alertsUnmatched[event.ruleId] = (this.alertsUnmatched[event.ruleId] ?? 0) + 1
      return
    }
    const n = this.schedule.indexOf(device, located.seq)
    const ms = arrivedMs - this.clock.scheduledMs(n)
    this.alert.record(ms)
    this.onLatency('alert', ms)
    if (n >= this.steadyFrom) this.#steady.alert.record(ms)
  }

  /** The steady window's figures; `influxVisible` and the lag come from the probes and Kafka. */
  steadyWindow(extra: Pick<SteadyWindow, 'influxVisible' | 'lagRecords'>): SteadyWindow {
    const { schedule } = this
    return {
      fromS: Math.round(schedule.rampUpMs) / 1000,
      toS: Math.round(schedule.durationMs) / 1000,
      scheduled: schedule.total - this.steadyFrom,
      acknowledged: this.#steady.acked,
      puback: this.#steady.puback.summary(),
      alert: this.#steady.alert.summary(),
      generatorLateness: this.#steady.lateness.summary(),
      loadAlarms: { ...this.loadAlarms },
      ...extra,
    }
  }

  alertLatency(): AlertLatency {
    return {
      ...this.alert.summary(),
      events: { ...this.alertEvents },
      rules: { ...this.alertRules },
      unmatched: Object.values(this.alertsUnmatched).reduce((a, b) => a + b, 0),
      unmatchedRules: { ...this.alertsUnmatched },
    }
  }

  /** Per-device inputs of the reconciliation; `stored` says what InfluxDB holds for each device. */
  deviceLedgers(
    deviceIds: readonly string[],
    stored: (device: number) => { stored: DeviceLedger['stored']; foreign: number },
  ): DeviceLedger[] {
    const notAcked = deviceIds.map(() => new Set<number>())
    const sendFailed = deviceIds.map(() => new Set<number>())
    const { schedule } = this
    for (const n of [...this.#awaiting, ...this.#failed])
      notAcked[schedule.deviceOf(n)]?.add(schedule.seqOf(n))
    for (const n of this.#failed) sendFailed[schedule.deviceOf(n)]?.add(schedule.seqOf(n))
    return deviceIds.map((deviceId, d) => {
      const s = stored(d)
      return {
        deviceId,
        // Messages go out in order n = 0, 1, …: a run stopped early published a prefix of the schedule.
        lastSeq: this.sent > d ? Math.floor((this.sent - 1 - d) / schedule.devices) + 1 : 0,
        notAcked: notAcked[d] ?? new Set(),
        sendFailed: sendFailed[d] ?? new Set(),
        kafkaCounts: this.#kafkaCounts[d] ?? new Uint8Array(1),
        stored: s.stored,
        foreignPoints: s.foreign,
      }
    })
  }
}
