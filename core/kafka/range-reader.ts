import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import { fromRdHeaders } from './headers.js'
import { Kafka, baseRdConfig, withOverrides, type RdMessage } from './rdkafka.js'
import type { KafkaRecord } from './records.js'

/** One partition to read: offsets [from, to). */
export interface OffsetRange {
  topic: string
  partition: number
  from: number
  to: number
}

export interface RangeReadOptions {
  kafka: KafkaConfig
  clientId: string
  ranges: readonly OffsetRange[]
  /** Handles records in offset order per partition; the next batch waits for it. */
  handle(records: KafkaRecord[]): Promise<void>
  /** Told after each batch with the next offset read per partition. */
  onProgress?(positions: ReadonlyMap<string, number>): void
  batchSize?: number
  signal?: AbortSignal
}

const key = (topic: string, partition: number): string => `${topic}/${partition}`

/**
 * Reads fixed offset ranges with a manually assigned consumer that never commits and never joins
 * a group: the committed offsets of every group stay as they were (a replay is a reader, not a
 * member). Read committed (librdkafka's default), so aborted transactions are not replayed.
 * A partition is done at the first record at or past `to - 1` or at its end when that end is at
 * or past `to` (the last offsets before `to` can be transaction markers, never delivered).
 */
export async function readRanges(options: RangeReadOptions): Promise<void> {
  const pending = new Map<string, OffsetRange>()
  for (const r of options.ranges) if (r.to > r.from) pending.set(key(r.topic, r.partition), r)
  if (pending.size === 0) return
  const positions = new Map<string, number>()
  for (const [k, r] of pending) positions.set(k, r.from)
  const client = new Kafka.KafkaConsumer(
    withOverrides(
      {
        ...baseRdConfig(options.kafka, options.clientId),
        // Required by librdkafka; nothing is ever committed under it and it never subscribes.
        'group.id': `${options.clientId}-reader`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'enable.partition.eof': true,
      },
      options.kafka.librdkafka,
    ),
    // A `from` below the oldest retained record starts at the oldest one.
    { 'auto.offset.reset': 'earliest' },
  )
  client.setDefaultConsumeTimeout(100)
  const eofs: Array<{ topic: string; partition: number; offset: number }> = []
  client.on('partition.eof', (eof) => eofs.push(eof))
  await new Promise<void>((resolve, reject) =>
    client.connect({ timeout: 10_000 }, (err) =>
      err
        ? reject(
            new PipelineError('KAFKA_CONNECT_FAILED', `cannot reach Kafka at ${options.kafka.brokers}`, {
              cause: err,
              retriable: true,
            }),
          )
        : resolve(),
    ),
  )
  try {
    client.assign(
      [...pending.values()].map((r) => ({ topic: r.topic, partition: r.partition, offset: r.from })),
    )
    while (pending.size > 0) {
      if (options.signal?.aborted) throw options.signal.reason
      const messages = await fetch(client, options.batchSize ?? 500)
      const batch: KafkaRecord[] = []
      for (const m of messages) {
        const range = pending.get(key(m.topic, m.partition))
        if (!range || m.offset >= range.to) continue
        batch.push(toRecord(m))
      }
      if (batch.length > 0) await options.handle(batch)
      for (const r of batch) positions.set(key(r.topic, r.partition), r.offset + 1)
      for (const m of messages) {
        const range = pending.get(key(m.topic, m.partition))
        if (range && m.offset >= range.to - 1) done(m.topic, m.partition, range.to)
      }
      // EOF events arrive before the batch they follow is handled: judged only now.
      for (const eof of eofs.splice(0)) {
        const range = pending.get(key(eof.topic, eof.partition))
        if (range && eof.offset >= range.to) done(eof.topic, eof.partition, range.to)
      }
      options.onProgress?.(positions)
    }
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()))
  }

  function done(topic: string, partition: number, to: number): void {
    pending.delete(key(topic, partition))
    positions.set(key(topic, partition), to)
    // Nothing more is wanted from it: stop fetching it (its later records are skipped anyway).
    if (pending.size > 0) client.pause([{ topic, partition }])
  }
}

function fetch(client: InstanceType<typeof Kafka.KafkaConsumer>, size: number): Promise<RdMessage[]> {
  return new Promise((resolve) => client.consume(size, (err, messages) => resolve(err ? [] : messages)))
}

function toRecord(message: RdMessage): KafkaRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key === undefined || message.key === null ? undefined : message.key.toString(),
    value: message.value ?? Buffer.alloc(0),
    timestamp: message.timestamp,
    headers: fromRdHeaders(message.headers),
  }
}
