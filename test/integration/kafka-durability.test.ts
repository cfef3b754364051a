// Issue #10, finding 4: min.insync.replicas was hard-coded to 1 and existing topics were never
// reconciled. On the one-broker stack: drifted configs are set back (read back with
// DescribeConfigs), what is correct is left alone, min ISR never ends above a topic's RF.
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { kafkaSchema } from '../../core/config/shared.js'
import { ConfigError, PipelineError } from '../../core/errors.js'
import { createKafkaAdmin, type KafkaAdmin } from '../../core/kafka/admin.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { CHANNEL_SPECS, CHANNELS } from '../../core/telemetry/topics.js'
import { gatewayConfigSchema } from '../../gateway/config.js'
import { eventually, testKafka, unique } from '../helpers/services.js'

let admin: KafkaAdmin
const topics: string[] = []
const DAY_MS = 86_400_000

function capture(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  )
  return { lines, logger }
}

async function drifted(config: Record<string, string>, partitions = 3): Promise<string> {
  const name = unique('it.durability')
  topics.push(name)
  await admin.ensureTopics([{ name, partitions, config }])
  await eventually(async () => (await admin.listTopics()).find((t) => t.name === name))
  return name
}

const configured = (name: string, minIsr: string, retentionMs: number, partitions = 3) => ({
  name,
  partitions,
  replicationFactor: 1,
  config: { 'retention.ms': String(retentionMs), 'min.insync.replicas': minIsr },
})

beforeAll(() => {
  admin = createKafkaAdmin(testKafka, 'it-durability')
})

afterAll(async () => {
  for (const topic of topics) await admin.deleteTopic(topic).catch(() => undefined)
  admin.close()
})

describe('integration > kafka > topic durability (real broker)', () => {
  it('reconciles a drifted min.insync.replicas and retention, one warning naming old → new', async () => {
    // min ISR 2 on an RF-1 topic: every acks=all write to it fails until reconciled.
    const name = await drifted({ 'min.insync.replicas': '2', 'retention.ms': String(DAY_MS) })
    const { lines, logger } = capture()

    const result = await admin.ensureTopics([configured(name, '1', 7 * DAY_MS)], { logger })

    expect(result.created).toEqual([])
    expect(result.reconciled).toEqual([
      {
        topic: name,
        changes: {
          'min.insync.replicas': ['2', '1'],
          'retention.ms': [String(DAY_MS), String(7 * DAY_MS)],
        },
      },
    ])
    const read = await admin.describeTopicConfigs(name, ['min.insync.replicas', 'retention.ms'])
    expect(read.get('min.insync.replicas')?.value).toBe('1')
    expect(read.get('retention.ms')?.value).toBe(String(7 * DAY_MS))
    const warnings = lines.filter((l) => l.level === 40)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({
      msg: 'topic config drifted; reconciled',
      topic: name,
      changes: { 'min.insync.replicas': '2 → 1', 'retention.ms': `${DAY_MS} → ${7 * DAY_MS}` },
    })
  })

  it('leaves a topic that already matches alone: nothing altered, no warning', async () => {
    const name = await drifted({ 'min.insync.replicas': '1', 'retention.ms': String(7 * DAY_MS) })
    const { lines, logger } = capture()

    const result = await admin.ensureTopics([configured(name, '1', 7 * DAY_MS)], { logger })

    expect(result).toEqual({ created: [], reconciled: [], warnings: [] })
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([])
  })

  it('keeps min ISR at the real RF when the config asks for RF 3 on one broker; warns about RF and partitions', async () => {
    const name = await drifted({ 'min.insync.replicas': '1' }, 3)
    const [spec] = channelTopicSpecs(
      [{ ...CHANNEL_SPECS[0]!, name: CHANNELS.vitals, partitions: 6 }],
      kafkaSchema.parse({ topics: { replicationFactor: 3 } }).topics,
    )
    expect(spec?.config['min.insync.replicas']).toBe('2')
    const { lines, logger } = capture()

    const result = await admin.ensureTopics([{ ...spec!, name }], { logger })

    const read = await admin.describeTopicConfigs(name, ['min.insync.replicas'])
    expect(read.get('min.insync.replicas')?.value).toBe('1')
    expect(result.warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('replication factor is 1, configured 3'),
      expect.stringContaining('min.insync.replicas 2 is above the topic'),
      expect.stringContaining('partitions can only grow'),
    ])
    expect((await admin.listTopics()).find((t) => t.name === name)).toMatchObject({
      partitions: 3,
      replicationFactor: 1,
    })
    expect(lines.some((l) => l.msg === 'topic differs from its configuration' && l.topic === name)).toBe(true)
  })

  it('creates a missing channel topic with the configured min ISR (read back)', async () => {
    const name = unique('it.durability.new')
    topics.push(name)
    const [spec] = channelTopicSpecs([CHANNEL_SPECS[0]!])
    expect((await admin.ensureTopics([{ ...spec!, name }])).created).toEqual([name])
    const read = await eventually(async () => {
      // A topic a moment old may not be known yet to the broker asked (error 3): ask again.
      const configs = await admin
        .describeTopicConfigs(name, ['min.insync.replicas', 'retention.ms'])
        .catch((error: unknown) => {
          if (error instanceof PipelineError && error.retriable) return undefined
          throw error
        })
      return configs?.get('min.insync.replicas')?.isTopicOverride ? configs : undefined
    })
    expect(read.get('min.insync.replicas')?.value).toBe('1')
    expect(read.get('retention.ms')?.value).toBe(String(7 * DAY_MS))
  })

  it('refuses a config asking min ISR 2 with RF 1, naming the channel', () => {
    const load = (): unknown =>
      loadConfig({
        schema: gatewayConfigSchema,
        env: { PULSEWIRE__KAFKA__TOPICS__MIN_INSYNC_REPLICAS: '2' },
      })
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(
      /kafka\.topics\.channels\.telemetry\.vitals\.v2: min\.insync\.replicas 2 is above the replication factor 1/,
    )
  })
})
