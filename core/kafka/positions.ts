import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import { Kafka, baseRdConfig, withOverrides, type Metadata } from './rdkafka.js'

// Offset look-ups for tools that position readers by hand (`pulsewire replay`, `pulsewire dlq`):
// watermarks, offsets for a time, and commits for a brand-new group. None of them joins a group,
// so no running member is disturbed and no existing group's offsets move.

export interface PartitionWatermarks {
  partition: number
  /** Oldest retained offset. */
  low: number
  /** Next offset to be written (the end). */
  high: number
}

type NativeConsumer = InstanceType<typeof Kafka.KafkaConsumer>

const failed = (what: string, err: unknown): PipelineError =>
  new PipelineError('KAFKA_ADMIN_FAILED', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    retriable: true,
  })

/** A consumer client that never subscribes: only assign-free look-ups and explicit commits. */
async function withClient<T>(
  kafka: KafkaConfig,
  groupId: string,
  work: (client: NativeConsumer) => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const client = new Kafka.KafkaConsumer(
    withOverrides(
      {
        ...baseRdConfig(kafka, `${groupId}-positions`),
        'group.id': groupId,
        'enable.auto.commit': false,
      },
      kafka.librdkafka,
    ),
    {},
  )
  await new Promise<void>((resolve, reject) =>
    client.connect({ timeout: timeoutMs }, (err) =>
      err
        ? reject(
            new PipelineError('KAFKA_CONNECT_FAILED', `no metadata from ${kafka.brokers}`, {
              cause: err,
              retriable: true,
            }),
          )
        : resolve(),
    ),
  )
  try {
    return await work(client)
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()))
  }
}

/** Low and high watermark of every partition of a topic; empty when the topic does not exist. */
export function watermarks(
  kafka: KafkaConfig,
  topic: string,
  timeoutMs = 10_000,
): Promise<PartitionWatermarks[]> {
  return withClient(kafka, 'pulsewire-positions', async (client) => {
    const metadata = await new Promise<Metadata>((resolve, reject) => {
      client.getMetadata({ topic, timeout: timeoutMs }, (err, m) => {
        if (err) reject(failed(`cannot read the metadata of ${topic}`, err))
        else resolve(m)
      })
    })
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? []
    const marks = await Promise.all(
      partitions.map(
        ({ id }) =>
          new Promise<PartitionWatermarks>((resolve, reject) => {
            client.queryWatermarkOffsets(topic, id, timeoutMs, (err, o) => {
              if (err) reject(failed(`cannot read the offsets of ${topic}/${id}`, err))
              else resolve({ partition: id, low: o.lowOffset, high: o.highOffset })
            })
          }),
      ),
    )
    return marks.sort((a, b) => a.partition - b.partition)
  })
}

/**
 * Per partition, the first offset whose record timestamp is at or after `tsMs`; a partition with
 * no such record yet gets its high watermark (so a range ending there ends at "now").
 */
export function offsetsForTime(
  kafka: KafkaConfig,
  topic: string,
  partitions: readonly PartitionWatermarks[],
  tsMs: number,
  timeoutMs = 10_000,
): Promise<Map<number, number>> {
  if (partitions.length === 0) return Promise.resolve(new Map<number, number>())
  return withClient<Map<number, number>>(
    kafka,
    'pulsewire-positions',
    (client) =>
      new Promise<Map<number, number>>((resolve, reject) =>
        client.offsetsForTimes(
          partitions.map(({ partition }) => ({ topic, partition, offset: tsMs })),
          timeoutMs,
          (err, offsets) => {
            if (err) {
              reject(failed(`cannot look up offsets of ${topic} at ${tsMs}`, err))
              return
            }
            const high = new Map(partitions.map((p) => [p.partition, p.high]))
            resolve(
              new Map(
                offsets.map(({ partition, offset }) => [
                  partition,
                  offset >= 0 ? offset : (high.get(partition) ?? 0),
                ]),
              ),
            )
          },
        ),
      ),
  )
}

/**
 * Commits offsets for a group without joining it (a "simple" consumer commit: the broker accepts
 * it while the group has no members). Used only for a group that has never committed.
 */
export function commitGroupOffsets(
  kafka: KafkaConfig,
  groupId: string,
  offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
): Promise<void> {
  if (offsets.length === 0) return Promise.resolve()
  return withClient(kafka, groupId, (client) => {
    try {
      client.commitSync(offsets.map((o) => ({ ...o })))
      return Promise.resolve()
    } catch (err) {
      throw new PipelineError('KAFKA_COMMIT_FAILED', `cannot commit offsets for group ${groupId}`, {
        cause: err,
        retriable: true,
      })
    }
  })
}
