import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import type { GroundTruthEvent } from '../scenarios/scenario.js'

/** What one device sent in one boot: the basis of the loss reconciliation (sent vs stored). */
export interface SentRange {
  deviceId: string
  bootId: string
  /** Sequence numbers firstSeq..lastSeq were all published (each exactly once unless duplicated). */
  firstSeq: number
  lastSeq: number
  published: number
  acked: number
  samples: number
  backfillSamples: number
  duplicatesSent: number
  reorderedSent: number
  malformedSent: number
  publishErrors: number
}

export interface LedgerTotals {
  published: number
  acked: number
  samples: number
  duplicatesSent: number
  malformedSent: number
  publishErrors: number
}

/** Records every publish and every injected fault; writes the ground-truth log as it goes. */
export class Ledger {
  readonly #ranges = new Map<string, SentRange>()
  readonly #groundTruth: WriteStream | undefined
  readonly #events: GroundTruthEvent[] = []
  readonly totals: LedgerTotals = {
    published: 0,
    acked: 0,
    samples: 0,
    duplicatesSent: 0,
    malformedSent: 0,
    publishErrors: 0,
  }

  constructor(groundTruthFile?: string) {
    if (groundTruthFile) {
      mkdirSync(dirname(groundTruthFile), { recursive: true })
      this.#groundTruth = createWriteStream(groundTruthFile, { flags: 'w' })
    }
  }

  range(deviceId: string, bootId: string): SentRange {
    const key = `${deviceId}\u0000${bootId}`
    let range = this.#ranges.get(key)
    if (!range) {
      range = {
        deviceId,
        bootId,
        firstSeq: 0,
        lastSeq: 0,
        published: 0,
        acked: 0,
        samples: 0,
        backfillSamples: 0,
        duplicatesSent: 0,
        reorderedSent: 0,
        malformedSent: 0,
        publishErrors: 0,
      }
      this.#ranges.set(key, range)
    }
    return range
  }

  published(range: SentRange, seq: number, samples: number, backfillSamples: number): void {
    if (range.firstSeq === 0) range.firstSeq = seq
    range.lastSeq = Math.max(range.lastSeq, seq)
    range.published++
    range.samples += samples
    range.backfillSamples += backfillSamples
    this.totals.published++
    this.totals.samples += samples
  }

  #inFlight = 0

  sending(): void {
    this.#inFlight++
  }

  /** A publish was acknowledged (or failed); only primary publishes count towards `acked`. */
  settled(range: SentRange, primary: boolean, ok: boolean): void {
    this.#inFlight--
    if (!ok) {
      range.publishErrors++
      this.totals.publishErrors++
    } else if (primary) {
      range.acked++
      this.totals.acked++
    }
  }

  /** Publishes handed to the transport and not yet acknowledged. */
  inFlight(): number {
    return this.#inFlight
  }

  duplicate(range: SentRange): void {
    range.duplicatesSent++
    this.totals.duplicatesSent++
  }

  reordered(range: SentRange): void {
    range.reorderedSent++
  }

  malformed(range: SentRange): void {
    range.malformedSent++
    this.totals.malformedSent++
  }

  groundTruth(event: GroundTruthEvent): void {
    this.#events.push(event)
    this.#groundTruth?.write(`${JSON.stringify(event)}\n`)
  }

  events(): readonly GroundTruthEvent[] {
    return this.#events
  }

  ranges(): SentRange[] {
    return [...this.#ranges.values()]
  }

  /** Writes the per-device sequence ranges (the reconciliation input) and closes the ground-truth log. */
  async finish(sentFile?: string): Promise<void> {
    if (sentFile) {
      mkdirSync(dirname(sentFile), { recursive: true })
      writeFileSync(sentFile, `${JSON.stringify({ totals: this.totals, devices: this.ranges() }, null, 2)}\n`)
    }
    const stream = this.#groundTruth
    if (stream) await new Promise<void>((resolve) => stream.end(resolve))
  }
}
