import type { StackConfig } from '../../deploy/local/config.js'
import { groupLag, type PartitionLag } from '../../core/kafka/group-lag.js'
import { CHANNEL_SPECS } from '../../core/telemetry/topics.js'

/**
 * Consumer-group lag for `stack status`: committed offsets against end offsets of the channels
 * (and any --topic), for the configured lagGroups and any --group. Undefined when Kafka does not
 * answer (the server list above says so already).
 */
export async function stackLag(
  config: StackConfig,
  groups: readonly string[] = [],
  topics: readonly string[] = [],
): Promise<PartitionLag[] | undefined> {
  const kafka = {
    brokers: `127.0.0.1:${config.kafkaBroker.port}`,
    clientId: 'pulsewire-stack',
    librdkafka: {},
  }
  const allGroups = [...new Set([...config.lagGroups, ...groups])]
  const allTopics = [...new Set([...CHANNEL_SPECS.map((spec) => spec.name), ...topics])]
  return await groupLag(kafka, allGroups, allTopics, 5_000).catch(() => undefined)
}

export function printLag(rows: readonly PartitionLag[], say: (line: string) => void): void {
  if (rows.length === 0) {
    say('lag       no committed offsets for the groups shown (set lagGroups, or --group)')
    return
  }
  const width = Math.max(5, ...rows.map((r) => r.group.length))
  const topicWidth = Math.max(5, ...rows.map((r) => r.topic.length))
  say('')
  say(`${'group'.padEnd(width)}  ${'topic'.padEnd(topicWidth)}  partition  committed  end  lag`)
  for (const r of rows) {
    say(
      `${r.group.padEnd(width)}  ${r.topic.padEnd(topicWidth)}  ${String(r.partition).padEnd(9)}  ${String(r.committed).padEnd(9)}  ${String(r.end).padEnd(3)}  ${r.lag}`,
    )
  }
}
