import { channelDurability, topicsSchema, type TopicsConfig } from '../config/topics.js'
import { ConfigError } from '../errors.js'
import type { ChannelSpec } from '../telemetry/topics.js'

/** A topic as `ensureTopics` creates and reconciles it. */
export interface TopicSpec {
  name: string
  partitions: number
  /** Default 1 (the one-broker local stack). */
  replicationFactor?: number
  /** Topic-level configs; on an existing topic each one is reconciled to this value. */
  config: Record<string, string>
}

/** A topic as it exists on the cluster (metadata). */
export interface ExistingTopic {
  partitions: number
  replicationFactor: number
}

export interface TopicPlan {
  /** Configs to set: key → [current value, wanted value]. */
  changes: Record<string, [string | null, string]>
  /** What a config alter cannot fix (partition count, replication factor), one sentence each. */
  warnings: string[]
}

const MIN_ISR = 'min.insync.replicas'

/**
 * The channels' topic specs with the durability of the config: RF, `min.insync.replicas` and a
 * retention override per channel. Throws a ConfigError naming the channel whose min ISR is above
 * its RF (the schema refuses that too; this guards configs built in code).
 */
export function channelTopicSpecs(
  channels: readonly ChannelSpec[],
  topics: TopicsConfig = topicsSchema.parse({}),
): TopicSpec[] {
  const issues = []
  const specs: TopicSpec[] = []
  for (const channel of channels) {
    const durability = channelDurability(topics, channel.name)
    if (durability.minInsyncReplicas > durability.replicationFactor) {
      issues.push({
        path: `kafka.topics.channels.${channel.name}`,
        message: `min.insync.replicas ${durability.minInsyncReplicas} is above the replication factor ${durability.replicationFactor}`,
      })
    }
    specs.push({
      name: channel.name,
      partitions: channel.partitions,
      replicationFactor: durability.replicationFactor,
      config: {
        ...channel.config,
        [MIN_ISR]: String(durability.minInsyncReplicas),
        ...(durability.retentionMs !== undefined ? { 'retention.ms': String(durability.retentionMs) } : {}),
      },
    })
  }
  if (issues.length > 0) throw new ConfigError('kafka.topics', issues)
  return specs
}

/**
 * What reconciling an existing topic means: the configs that differ from the spec, and warnings
 * for what only an operator can change. min ISR is capped at the topic's real RF: above it every
 * acks=all write would fail, which is worse than the weaker guarantee (and is warned about).
 */
export function planTopic(
  spec: TopicSpec,
  existing: ExistingTopic,
  current: ReadonlyMap<string, { value: string | null }>,
): TopicPlan {
  const wantedRf = spec.replicationFactor ?? 1
  const warnings: string[] = []
  const wanted = { ...spec.config }
  if (existing.replicationFactor !== wantedRf) {
    warnings.push(
      `replication factor is ${existing.replicationFactor}, configured ${wantedRf}: a config alter cannot change it (reassign the partitions with kafka-reassign-partitions)`,
    )
  }
  const wantedIsr = wanted[MIN_ISR]
  if (wantedIsr !== undefined && Number(wantedIsr) > existing.replicationFactor) {
    warnings.push(
      `min.insync.replicas ${wantedIsr} is above the topic's replication factor ${existing.replicationFactor}: kept at ${existing.replicationFactor} so writes do not fail`,
    )
    wanted[MIN_ISR] = String(existing.replicationFactor)
  }
  if (existing.partitions < spec.partitions) {
    warnings.push(
      `has ${existing.partitions} partitions, configured ${spec.partitions}: partitions can only grow, and growing moves keys to other partitions (per-device order), so it is left to an operator (kafka-topics --alter --partitions)`,
    )
  } else if (existing.partitions > spec.partitions) {
    warnings.push(
      `has ${existing.partitions} partitions, configured ${spec.partitions}: partitions can never shrink; the topic is used as it is`,
    )
  }
  const changes: Record<string, [string | null, string]> = {}
  for (const [key, value] of Object.entries(wanted)) {
    const now = current.get(key)?.value ?? null
    if (now !== value) changes[key] = [now, value]
  }
  return { changes, warnings }
}

/**
 * Why the topics a stateful processor reads together are not co-partitioned (ADR 0014), or
 * undefined when they are: every one exists with the same partition count. Range assignment
 * gives a member the same partition indexes of each topic only then, and murmur2 puts a key on
 * the same index of each only then.
 */
export function copartitionProblem(
  existing: ReadonlyArray<{ name: string; partitions: number }>,
  names: readonly string[],
): string | undefined {
  const counts = names.map((name) => ({
    name,
    partitions: existing.find((t) => t.name === name)?.partitions,
  }))
  const missing = counts.filter((c) => c.partitions === undefined).map((c) => c.name)
  if (missing.length > 0) return `not created yet: ${missing.join(', ')}`
  if (new Set(counts.map((c) => c.partitions)).size <= 1) return undefined
  return `partition counts differ (${counts.map((c) => `${c.name}: ${c.partitions}`).join(', ')}): one device's records would be owned by different members`
}
