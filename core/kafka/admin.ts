import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import { Kafka, RD_ERRORS, baseRdConfig, withOverrides, type Metadata } from './rdkafka.js'

export interface TopicSpec {
  name: string
  partitions: number
  config: Record<string, string>
}

export interface TopicInfo {
  name: string
  partitions: number
}

export interface KafkaAdmin {
  /** Creates the topics that are missing; existing topics are left as they are. Idempotent. */
  ensureTopics(specs: readonly TopicSpec[], replicationFactor: number): Promise<{ created: string[] }>
  /** Lists topics and their partition counts (a metadata request). */
  listTopics(timeoutMs?: number): Promise<TopicInfo[]>
  deleteTopic(name: string): Promise<void>
  close(): void
}

/**
 * Topic administration. Metadata goes through a short-lived producer client, since the
 * librdkafka admin client has no metadata call in node-rdkafka.
 */
export function createKafkaAdmin(kafka: KafkaConfig, clientId = 'pulsewire-admin'): KafkaAdmin {
  const config = withOverrides(baseRdConfig(kafka, clientId), kafka.librdkafka)
  const admin = Kafka.AdminClient.create(config)
  const timeoutMs = 15_000

  return {
    async ensureTopics(specs, replicationFactor) {
      const created: string[] = []
      for (const spec of specs) {
        const wasCreated = await new Promise<boolean>((resolve, reject) => {
          admin.createTopic(
            {
              topic: spec.name,
              num_partitions: spec.partitions,
              replication_factor: replicationFactor,
              config: spec.config,
            },
            timeoutMs,
            (err) => {
              if (!err) return resolve(true)
              if (err.code === RD_ERRORS.topicAlreadyExists) return resolve(false)
              reject(
                new PipelineError('KAFKA_ADMIN_FAILED', `cannot create topic ${spec.name}: ${err.message}`, {
                  cause: err,
                  retriable: true,
                }),
              )
            },
          )
        })
        if (wasCreated) created.push(spec.name)
      }
      return { created }
    },
    listTopics: (metadataTimeoutMs = 10_000) => fetchMetadata(kafka, clientId, metadataTimeoutMs),
    deleteTopic: (name) =>
      new Promise<void>((resolve, reject) => {
        admin.deleteTopic(name, timeoutMs, (err) =>
          err
            ? reject(new PipelineError('KAFKA_ADMIN_FAILED', `cannot delete ${name}`, { cause: err }))
            : resolve(),
        )
      }),
    close: () => admin.disconnect(),
  }
}

/** One metadata request: the readiness probe for a broker ("is Kafka really up?"). */
export function fetchMetadata(kafka: KafkaConfig, clientId: string, timeoutMs: number): Promise<TopicInfo[]> {
  const client = new Kafka.Producer(withOverrides(baseRdConfig(kafka, clientId), kafka.librdkafka))
  return new Promise<TopicInfo[]>((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (err, metadata) => {
      if (err) {
        // Never connected, so nothing to disconnect (node-rdkafka's disconnect would throw).
        reject(
          new PipelineError('KAFKA_CONNECT_FAILED', `no metadata from ${kafka.brokers}: ${err.message}`, {
            cause: err,
            retriable: true,
          }),
        )
        return
      }
      const topics = metadata.topics
        .filter((t) => !t.name.startsWith('__'))
        .map((t) => ({ name: t.name, partitions: t.partitions.length }))
      client.disconnect(() => resolve(topics))
    })
  })
}

/** The next offset of every partition of a topic (where a reader that wants "from now on" starts). */
export async function endOffsets(
  kafka: KafkaConfig,
  topic: string,
  timeoutMs = 10_000,
): Promise<Array<{ topic: string; partition: number; offset: number }>> {
  const client = new Kafka.Producer(withOverrides(baseRdConfig(kafka, 'pulsewire-offsets'), kafka.librdkafka))
  await new Promise<void>((resolve, reject) =>
    client.connect({ timeout: timeoutMs, topic }, (err) =>
      err
        ? reject(
            new PipelineError('KAFKA_CONNECT_FAILED', `no metadata from ${kafka.brokers}`, { cause: err }),
          )
        : resolve(),
    ),
  )
  try {
    const failed = (err: unknown): PipelineError =>
      new PipelineError('KAFKA_ADMIN_FAILED', `cannot read the offsets of ${topic}`, {
        cause: err,
        retriable: true,
      })
    const metadata = await new Promise<Metadata>((resolve, reject) => {
      client.getMetadata({ topic, timeout: timeoutMs }, (err, m) => {
        if (err) reject(failed(err))
        else resolve(m)
      })
    })
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? []
    return await Promise.all(
      partitions.map(
        ({ id }) =>
          new Promise<{ topic: string; partition: number; offset: number }>((resolve, reject) => {
            client.queryWatermarkOffsets(topic, id, timeoutMs, (err, offsets) => {
              if (err) reject(failed(err))
              else resolve({ topic, partition: id, offset: offsets.highOffset })
            })
          }),
      ),
    )
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()))
  }
}

/**
 * The offsets a consumer group has committed on a topic's partitions (the next offset it will
 * read); a partition without a commit is absent. Reads them with a consumer client that never
 * joins the group, so a running member is not disturbed.
 */
export async function committedOffsets(
  kafka: KafkaConfig,
  groupId: string,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
  timeoutMs = 10_000,
): Promise<Array<{ topic: string; partition: number; offset: number }>> {
  if (partitions.length === 0) return []
  const client = new Kafka.KafkaConsumer(
    withOverrides({ ...baseRdConfig(kafka, `${groupId}-offsets`), 'group.id': groupId }, kafka.librdkafka),
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
    const offsets = await new Promise<Array<{ topic: string; partition: number; offset?: number }>>(
      (resolve, reject) =>
        client.committed(
          partitions.map(({ topic, partition }) => ({ topic, partition })),
          timeoutMs,
          (err, result) =>
            err
              ? reject(
                  new PipelineError('KAFKA_ADMIN_FAILED', `cannot read the offsets of group ${groupId}`, {
                    cause: err,
                    retriable: true,
                  }),
                )
              : resolve(result),
        ),
    )
    // librdkafka reports "no commit" as a negative logical offset (-1001).
    return offsets.flatMap(({ topic, partition, offset }) =>
      offset !== undefined && offset >= 0 ? [{ topic, partition, offset }] : [],
    )
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()))
  }
}
