import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'
import type { Logger } from 'pino'
import { Kafka, RD_ERRORS, baseRdConfig, withOverrides, type Metadata } from './rdkafka.js'
import { createTopicConfigClient, type TopicConfigEntry } from './topic-configs.js'
import { planTopic, type TopicSpec } from './topic-specs.js'

export type { TopicSpec } from './topic-specs.js'

export interface TopicInfo {
  name: string
  partitions: number
  /** Replicas of its first partition (every partition of a topic is created with the same count). */
  replicationFactor: number
}

export interface EnsureTopicsResult {
  created: string[]
  /** Existing topics whose configs were set to the spec: key → [old, new]. */
  reconciled: Array<{ topic: string; changes: Record<string, [string | null, string]> }>
  /** What a config alter cannot fix (partitions, replication factor), per topic. */
  warnings: Array<{ topic: string; message: string }>
}

export interface KafkaAdmin {
  /**
   * Creates the missing topics and reconciles the existing ones: their configs (min ISR,
   * retention) are read with DescribeConfigs and the drifted ones set; a partition count or
   * replication factor that differs is warned about, never changed. Idempotent.
   */
  ensureTopics(specs: readonly TopicSpec[], options?: { logger?: Logger }): Promise<EnsureTopicsResult>
  /** Lists topics and their partition counts (a metadata request). */
  listTopics(timeoutMs?: number): Promise<TopicInfo[]>
  /** The named configs of a topic as the broker reports them (DescribeConfigs). */
  describeTopicConfigs(topic: string, names?: readonly string[]): Promise<Map<string, TopicConfigEntry>>
  deleteTopic(name: string): Promise<void>
  close(): void
}

/**
 * Topic administration. Metadata goes through a short-lived producer client, since the
 * librdkafka admin client has no metadata call in node-rdkafka; topic configs go through
 * core/kafka/topic-configs.ts, since it has no config calls either (ADR 0010).
 */
export function createKafkaAdmin(kafka: KafkaConfig, clientId = 'pulsewire-admin'): KafkaAdmin {
  const config = withOverrides(baseRdConfig(kafka, clientId), kafka.librdkafka)
  const admin = Kafka.AdminClient.create(config)
  const configs = createTopicConfigClient(kafka, clientId)
  const timeoutMs = 15_000

  const create = (spec: TopicSpec): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      admin.createTopic(
        {
          topic: spec.name,
          num_partitions: spec.partitions,
          replication_factor: spec.replicationFactor ?? 1,
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

  async function reconcile(spec: TopicSpec, existing: TopicInfo, result: EnsureTopicsResult, log?: Logger) {
    const current = await configs.describe(spec.name, Object.keys(spec.config))
    const plan = planTopic(spec, existing, current)
    for (const message of plan.warnings) result.warnings.push({ topic: spec.name, message })
    if (plan.warnings.length > 0) {
      log?.warn({ topic: spec.name, problems: plan.warnings }, 'topic differs from its configuration')
    }
    const keys = Object.keys(plan.changes)
    if (keys.length === 0) return
    await configs.set(spec.name, Object.fromEntries(keys.map((k) => [k, plan.changes[k]?.[1] ?? ''])))
    result.reconciled.push({ topic: spec.name, changes: plan.changes })
    const changes = Object.fromEntries(
      keys.map((k) => [k, `${plan.changes[k]?.[0] ?? 'default'} → ${plan.changes[k]?.[1]}`]),
    )
    log?.warn({ topic: spec.name, changes }, 'topic config drifted; reconciled')
  }

  return {
    async ensureTopics(specs, options = {}) {
      const result: EnsureTopicsResult = { created: [], reconciled: [], warnings: [] }
      let existing = new Map((await fetchMetadata(kafka, clientId, timeoutMs)).map((t) => [t.name, t]))
      for (const spec of specs) {
        let info = existing.get(spec.name)
        if (!info) {
          if (await create(spec)) {
            result.created.push(spec.name)
            continue
          }
          // Created by someone else since the metadata was read: reconcile it like any other.
          existing = new Map((await fetchMetadata(kafka, clientId, timeoutMs)).map((t) => [t.name, t]))
          info = existing.get(spec.name)
          if (!info) continue
        }
        await reconcile(spec, info, result, options.logger)
      }
      return result
    },
    listTopics: (metadataTimeoutMs = 10_000) => fetchMetadata(kafka, clientId, metadataTimeoutMs),
    describeTopicConfigs: (topic, names) => configs.describe(topic, names),
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
        .map((t) => ({
          name: t.name,
          partitions: t.partitions.length,
          replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        }))
      client.disconnect(() => resolve(topics))
    })
  })
}

/**
 * The next offset of every partition of a topic (where a reader that wants "from now on" starts).
 * librdkafka asks with the client's isolation level, read_committed by default: the answer is
 * then the last stable offset, which stops at the first record of a transaction still open (a
 * killed producer's, until the broker aborts it). `through: 'open-transactions'` asks for the
 * high watermark instead: the end including records of transactions not yet decided, which a
 * read_committed reader reaches once they are.
 */
export async function endOffsets(
  kafka: KafkaConfig,
  topic: string,
  timeoutMs = 10_000,
  through: 'last-stable' | 'open-transactions' = 'last-stable',
): Promise<Array<{ topic: string; partition: number; offset: number }>> {
  const config = withOverrides(baseRdConfig(kafka, 'pulsewire-offsets'), kafka.librdkafka)
  if (through === 'open-transactions') config['isolation.level'] = 'read_uncommitted'
  const client = new Kafka.Producer(config)
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
