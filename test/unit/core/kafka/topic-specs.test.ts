import { describe, expect, it } from 'vitest'
import { kafkaSchema } from '../../../../core/config/shared.js'
import { channelDurability, topicsSchema } from '../../../../core/config/topics.js'
import { ConfigError } from '../../../../core/errors.js'
import { channelTopicSpecs, copartitionProblem, planTopic } from '../../../../core/kafka/topic-specs.js'
import { CHANNEL_SPECS, CHANNELS, TELEMETRY_PARTITIONS } from '../../../../core/telemetry/topics.js'
import { ALERTING_INPUT_CHANNELS } from '../../../../processors/alerting/service.js'

const entries = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, value]) => [k, { value }]))

describe('core > kafka > topic-specs', () => {
  it('defaults to RF 1 / min ISR 1 (the local stack) and derives min ISR 2 from RF 3', () => {
    const local = kafkaSchema.parse({}).topics
    expect(channelDurability(local, CHANNELS.vitals)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 })
    const prod = topicsSchema.parse({ replicationFactor: 3 })
    expect(channelDurability(prod, CHANNELS.vitals)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 })
  })

  it('applies per-channel overrides of RF, min ISR and retention', () => {
    const topics = topicsSchema.parse({
      replicationFactor: 3,
      channels: {
        [CHANNELS.dlq]: { replicationFactor: 2, retentionMs: 1000 },
        [CHANNELS.status]: { minInsyncReplicas: 3 },
      },
    })
    const specs = new Map(channelTopicSpecs(CHANNEL_SPECS, topics).map((s) => [s.name, s]))
    expect(specs.get(CHANNELS.dlq)).toMatchObject({
      replicationFactor: 2,
      config: { 'min.insync.replicas': '2', 'retention.ms': '1000' },
    })
    expect(specs.get(CHANNELS.status)?.config['min.insync.replicas']).toBe('3')
    expect(specs.get(CHANNELS.alertState)?.config).toEqual({
      'cleanup.policy': 'compact',
      'segment.ms': String(600_000),
      'min.insync.replicas': '2',
    })
  })

  it('refuses min ISR above RF with an issue per channel (schema and specs built in code)', () => {
    const parsed = topicsSchema.safeParse({ channels: { [CHANNELS.vitals]: { minInsyncReplicas: 2 } } })
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual([`channels.${CHANNELS.vitals}`])
    expect(() =>
      channelTopicSpecs(CHANNEL_SPECS, { replicationFactor: 1, minInsyncReplicas: 2, channels: {} }),
    ).toThrow(ConfigError)
    expect(() => topicsSchema.parse({ channels: { 'telemetry.nope.v1': {} } })).toThrow()
  })

  it('plans only the configs that differ, and caps min ISR at the topic’s real RF', () => {
    const spec = {
      name: 't',
      partitions: 3,
      replicationFactor: 3,
      config: { 'min.insync.replicas': '2', 'retention.ms': '5' },
    }
    expect(
      planTopic(
        spec,
        { partitions: 3, replicationFactor: 3 },
        entries({ 'min.insync.replicas': '2', 'retention.ms': '5' }),
      ),
    ).toEqual({
      changes: {},
      warnings: [],
    })
    expect(
      planTopic(
        spec,
        { partitions: 3, replicationFactor: 3 },
        entries({ 'min.insync.replicas': '1', 'retention.ms': '5' }),
      ).changes,
    ).toEqual({
      'min.insync.replicas': ['1', '2'],
    })
    const onOneBroker = planTopic(
      spec,
      { partitions: 6, replicationFactor: 1 },
      entries({ 'min.insync.replicas': '1', 'retention.ms': '5' }),
    )
    expect(onOneBroker.changes).toEqual({})
    expect(onOneBroker.warnings).toEqual([
      expect.stringContaining('replication factor is 1, configured 3'),
      expect.stringContaining('kept at 1'),
      expect.stringContaining('can never shrink'),
    ])
  })
})

describe('core > kafka > topic-specs > co-partitioning (ADR 0014)', () => {
  it('gives every device-keyed channel alerting reads one partition count', () => {
    const counts = ALERTING_INPUT_CHANNELS.map(
      (name) => CHANNEL_SPECS.find((s) => s.name === name)?.partitions,
    )
    expect(counts).toEqual(ALERTING_INPUT_CHANNELS.map(() => TELEMETRY_PARTITIONS))
    // The telemetry inputs moved to .v2 for the new count and partitioner; the command channel was
    // born with them, so it keeps .v1.
    const telemetry = ALERTING_INPUT_CHANNELS.filter((name) => name.startsWith('telemetry.'))
    expect(telemetry).toHaveLength(3)
    expect(telemetry.every((name) => name.endsWith('.v2'))).toBe(true)
  })

  it('says which inputs are missing or have other partition counts', () => {
    const names = ['a', 'b', 'c']
    expect(
      copartitionProblem(
        names.map((name) => ({ name, partitions: 12 })),
        names,
      ),
    ).toBeUndefined()
    expect(
      copartitionProblem(
        [
          { name: 'a', partitions: 12 },
          { name: 'b', partitions: 6 },
          { name: 'c', partitions: 3 },
        ],
        names,
      ),
    ).toMatch(/partition counts differ \(a: 12, b: 6, c: 3\)/)
    expect(copartitionProblem([{ name: 'a', partitions: 12 }], names)).toBe('not created yet: b, c')
  })
})
