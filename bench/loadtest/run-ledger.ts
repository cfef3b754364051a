import type { AlertEvent } from '../../core/alerts/alert-event.js'
import { LatencyHistogram } from './histogram.js'
import type { DeviceLedger } from './reconcile.js'
import type { AlertLatency } from './report.js'
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

  constructor(
    readonly schedule: LoadSchedule,
    readonly clock: ReadingClock,
  ) {
    this.#kafkaCounts = Array.from(
      { length: schedule.devices },
      (_, d) => new Uint8Array(schedule.lastSeq(d) + 1),
    )
  }

  awaitingAck(): number {
    return this.#awaiting.size
  }

  published(n: number): void {
    this.sent++
    this.#awaiting.add(n)
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
    this.puback.record(nowMs - this.clock.scheduledMs(n))
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
    const located = this.clock.locate(device, event.eventTsMs)
    if (!located) {
      this.alertsUnmatched[event.ruleId] = (this.alertsUnmatched[event.ruleId] ?? 0) + 1
      return
    }
    this.alert.record(arrivedMs - this.clock.scheduledMs(this.schedule.indexOf(device, located.seq)))
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
