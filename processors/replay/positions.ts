import { PipelineError } from '../../core/errors.js'
import { parseTimeBound, printable } from '../../core/influx/query/time-bounds.js'
import { javaPartition } from '../../core/kafka/murmur2.js'
import type { PartitionWatermarks } from '../../core/kafka/positions.js'
import type { OffsetRange } from '../../core/kafka/range-reader.js'

/**
 * Where a replay starts or ends, parsed from the command line into a closed form:
 * `earliest` (start only), `now` (end only: the end offsets when the replay starts, so it
 * terminates), an offset (a whole number, per selected partition) or a time (ISO-8601 with a
 * zone, or `-24h` before now), judged on the Kafka record timestamp.
 */
export type Position =
  { kind: 'earliest' } | { kind: 'now' } | { kind: 'offset'; offset: number } | { kind: 'time'; ms: number }

const invalid = (message: string): PipelineError => new PipelineError('REPLAY_INVALID_RANGE', message)

export function parsePosition(text: string, which: 'from' | 'to', nowMs: number): Position {
  if (which === 'from' && text === 'earliest') return { kind: 'earliest' }
  if (which === 'to' && text === 'now') return { kind: 'now' }
  if (/^\d{1,15}$/.test(text)) return { kind: 'offset', offset: Number(text) }
  const bound = parseTimeBound(text, false)
  if (!bound.ok) {
    const words = which === 'from' ? '"earliest", an offset' : '"now", an offset'
    throw invalid(`--${which} "${printable(text)}": expected ${words} or a time (${bound.message})`)
  }
  const ms =
    bound.bound.kind === 'absolute'
      ? bound.bound.ms
      : nowMs + (bound.bound.kind === 'relative' ? bound.bound.offsetMs : 0)
  return { kind: 'time', ms }
}

export interface PartitionSelection {
  /** Explicit partitions; absent = all (or the device's). */
  partitions?: readonly number[] | undefined
  /** One device: only the partition its key is on (murmur2, ADR 0014), and only its records. */
  device?: string | undefined
}

/** The partitions a replay reads, checked against the channel's partition count. */
export function selectPartitions(count: number, selection: PartitionSelection): number[] {
  if (count === 0) throw new PipelineError('REPLAY_UNKNOWN_CHANNEL', 'the channel has no partitions')
  const all = Array.from({ length: count }, (_, i) => i)
  const wanted =
    selection.partitions && selection.partitions.length > 0 ? [...new Set(selection.partitions)] : all
  for (const p of wanted) {
    if (!Number.isInteger(p) || p < 0 || p >= count)
      throw invalid(`partition ${p} does not exist: the channel has partitions 0..${count - 1}`)
  }
  if (selection.device === undefined) return wanted.sort((a, b) => a - b)
  const home = javaPartition(selection.device, count)
  if (!wanted.includes(home))
    throw invalid(`device ${selection.device} is on partition ${home}, which is not among those selected`)
  return [home]
}

/** Looks up the first offset at or after a time, per partition (core/kafka/positions.ts). */
export type TimeLookup = (ms: number) => Promise<Map<number, number>>

/**
 * The offset range [from, to) of each selected partition. "now" and times with no record yet are
 * the high watermark at start, so the replay ends; a start below the oldest retained record is
 * the oldest one; an offset end beyond the high watermark is the high watermark.
 */
export async function resolveRanges(
  topic: string,
  marks: readonly PartitionWatermarks[],
  partitions: readonly number[],
  from: Position,
  to: Position,
  lookup: TimeLookup,
): Promise<OffsetRange[]> {
  const fromTimes = from.kind === 'time' ? await lookup(from.ms) : undefined
  const toTimes = to.kind === 'time' ? await lookup(to.ms) : undefined
  if (from.kind === 'time' && to.kind === 'time' && to.ms < from.ms) throw invalid('--to is before --from')
  if (from.kind === 'offset' && to.kind === 'offset' && to.offset < from.offset)
    throw invalid('--to is before --from')
  return partitions.map((partition) => {
    const mark = marks.find((m) => m.partition === partition) ?? { partition, low: 0, high: 0 }
    const start = (): number => {
      if (from.kind === 'earliest') return mark.low
      if (from.kind === 'offset') return Math.max(mark.low, from.offset)
      if (from.kind === 'time') return fromTimes?.get(partition) ?? mark.high
      return mark.high
    }
    const end = (): number => {
      if (to.kind === 'offset') return Math.min(mark.high, to.offset)
      if (to.kind === 'time') return toTimes?.get(partition) ?? mark.high
      return mark.high
    }
    const begin = Math.min(start(), mark.high)
    return { topic, partition, from: begin, to: Math.max(begin, end()) }
  })
}
