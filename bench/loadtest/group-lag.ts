import type { KafkaConfig } from '../../core/config/shared.js'
import { committedOffsets, endOffsets } from '../../core/kafka/admin.js'
import { CONSUMER_LAG_METRIC } from '../../core/kafka/consumer-lag.js'

/** A consumer group of the target whose lag the capacity search judges. */
export interface TargetGroup {
  /** Role shown in the report: "storage", "alerting". */
  name: string
  groupId: string
  topics: readonly string[]
  /**
   * The member's /metrics, for a group whose committed offsets trail what it finished on purpose
   * (alerting commits no further than its oldest unsaved device state, ADR 0006 revision): its lag
   * is what the member reports it has not finished (`pulsewire_kafka_consumer_lag`), not what
   * the group has not committed.
   */
  metricsUrl?: string
}

/**
 * Records each group has not yet committed, summed over its partitions: what it still owes when
 * the load ends. A partition without a commit is left out: the targets set every partition of
 * their groups at the end of the channel before starting (group-offsets.ts), so none should be.
 */
export async function groupLag(
  kafka: KafkaConfig,
  groups: readonly TargetGroup[],
): Promise<Record<string, number>> {
  const lag: Record<string, number> = {}
  for (const group of groups) {
    const reported = group.metricsUrl ? await reportedLag(group.metricsUrl, group.groupId) : undefined
    if (reported !== undefined) {
      lag[group.name] = reported
      continue
    }
    const ends = (await Promise.all(group.topics.map((topic) => endOffsets(kafka, topic)))).flat()
    const committed = await committedOffsets(kafka, group.groupId, ends)
    const at = new Map(committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]))
    lag[group.name] = ends.reduce((sum, e) => {
      const done = at.get(`${e.topic}/${e.partition}`)
      return done === undefined ? sum : sum + Math.max(0, e.offset - done)
    }, 0)
  }
  return lag
}

/** The group's `pulsewire_kafka_consumer_lag` series summed; undefined when the member does not answer. */
async function reportedLag(url: string, groupId: string): Promise<number | undefined> {
  const text = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    .then((r) => (r.ok ? r.text() : undefined))
    .catch(() => undefined)
  if (text === undefined) return undefined
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${CONSUMER_LAG_METRIC}{`) || !line.includes(`group="${groupId}"`)) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

/** The load tester's own Kafka client settings for a target's brokers. */
export function loadtestKafka(endpoints: { kafka: { brokers: string } }): KafkaConfig {
  return { brokers: endpoints.kafka.brokers, clientId: 'pulsewire-loadtest', librdkafka: {} }
}

/** What all the groups still owe together. */
export async function totalLag(kafka: KafkaConfig, groups: readonly TargetGroup[]): Promise<number> {
  return Object.values(await groupLag(kafka, groups)).reduce((sum, n) => sum + n, 0)
}
