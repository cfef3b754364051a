import type { TelemetryEnvelope } from '../core/telemetry/envelope.js'
import { withoutSamples } from '../core/telemetry/wire-splice.js'
import type { Rejection } from './validate.js'

/** What to do with a valid message some of whose samples carry no value (ADR 0015). */
export interface MissingValues {
  /** How many samples were dropped. */
  dropped: number
  /** The DLQ rejection for the original bytes. */
  rejection: Rejection
  /** The message without those samples, to forward; undefined when no sample is left. */
  forward: Buffer | undefined
}

/**
 * A sample whose quality claims a measurement (valid, questionable, or no flag) but whose value is
 * absent is not a reading of 0: it is dropped here, so no processor ever reads it as one. A sample
 * whose quality says why there is no reading (probe off, calibrating…) stays: the quality is its
 * content, and technical rules need it. Returns undefined when nothing is dropped (the hot path).
 */
export function dropMissingValues(envelope: TelemetryEnvelope, payload: Buffer): MissingValues | undefined {
  const drop = new Set<number>()
  envelope.samples.forEach((s, i) => {
    if (s.valueAbsent) drop.add(i) // set by the decoder only where the quality claims a measurement
  })
  if (drop.size === 0) return undefined
  const metrics = [...new Set([...drop].map((i) => envelope.samples[i]?.metric))].join(', ')
  return {
    dropped: drop.size,
    rejection: {
      reason: 'missing_value',
      detail: `${drop.size} of ${envelope.samples.length} samples without a value (${metrics}) dropped; the rest forwarded`,
    },
    forward: drop.size < envelope.samples.length ? withoutSamples(payload, drop) : undefined,
  }
}
