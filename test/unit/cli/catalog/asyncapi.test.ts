import { DiagnosticSeverity, Parser } from '@asyncapi/parser'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { renderCatalog } from '../../../../cli/catalog/asyncapi.js'
import { CHANNEL_SPECS } from '../../../../core/telemetry/topics.js'
import { alertingConfigSchema } from '../../../../processors/alerting/config.js'
import { sinksFileSchema } from '../../../../processors/sinks/config.js'
import { storageConfigSchema } from '../../../../processors/storage/config.js'
import { repoRoot } from '../../../helpers/cli.js'

interface Doc {
  channels: Record<string, Record<string, unknown> & { address: string }>
  operations: Record<string, Record<string, unknown>>
  components: { messages: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> }
}

const text = renderCatalog({ repoRoot, version: '0.0.0-test' })
const doc = parse(text) as Doc

const channelOf = (address: string) => Object.values(doc.channels).find((c) => c.address === address)

describe('cli > catalog > AsyncAPI document', () => {
  it('parses with the AsyncAPI parser without errors', { timeout: 30_000 }, async () => {
    const { document, diagnostics } = await new Parser().parse(text)
    expect(
      diagnostics
        .filter((d) => Number(d.severity) === Number(DiagnosticSeverity.Error))
        .map((d) => `${d.path.join('.')}: ${d.message}`),
    ).toEqual([])
    expect(document?.version()).toBe('3.0.0')
    expect(
      document
        ?.channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(expect.arrayContaining(CHANNEL_SPECS.map((s) => s.name)))
  })

  it.each(CHANNEL_SPECS.map((spec) => [spec.name, spec] as const))(
    '%s has its partitions, retention and producers',
    (name, spec) => {
      const channel = channelOf(name)
      const kafka = (channel?.bindings as { kafka: Record<string, unknown> }).kafka
      expect(kafka.partitions).toBe(spec.partitions)
      const config = kafka.topicConfiguration as Record<string, unknown>
      if (spec.config['retention.ms'])
        expect(config['retention.ms']).toBe(Number(spec.config['retention.ms']))
      if (spec.config['cleanup.policy'])
        expect(config['cleanup.policy']).toEqual([spec.config['cleanup.policy']])
      const senders = Object.values(doc.operations)
        .filter(
          (op) =>
            op.action === 'send' && (op.channel as { $ref: string }).$ref.endsWith(`/${channelId(name)}`),
        )
        .map((op) => op['x-pulsewire-process'])
      expect(senders.sort()).toEqual([...spec.producedBy].sort())
    },
  )

  it('names every default consumer group on a receive operation', () => {
    const groups = Object.values(doc.operations)
      .filter((op) => op.action === 'receive')
      .map((op) => op['x-consumer-group'])
    expect(groups).toContain(storageConfigSchema.parse({}).groupId)
    expect(groups).toContain(alertingConfigSchema.parse({}).groupId)
    const prefix = sinksFileSchema.parse({ sinks: [null] }).groupPrefix
    expect(groups.some((g) => typeof g === 'string' && g.startsWith(prefix))).toBe(true)
  })

  it('describes the vitals message with the Telemetry fields from the .proto', () => {
    const vitals = channelOf('telemetry.vitals.v2')
    const messageRef = Object.values(vitals?.messages as Record<string, { $ref: string }>)[0]?.$ref ?? ''
    const message = doc.components.messages[messageRef.split('/').pop() ?? '']
    const payloadRef = (message?.payload as { $ref: string }).$ref
    const schema = doc.components.schemas[payloadRef.split('/').pop() ?? ''] as {
      properties: Record<string, { 'x-protobuf-field': number }>
    }
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['device_id', 'boot_id', 'seq', 'device_ts_ms', 'samples']),
    )
    expect(schema.properties.samples?.['x-protobuf-field']).toBe(7)
    expect((message?.bindings as { kafka: { key: unknown } }).kafka.key).toMatchObject({ type: 'string' })
  })

  it('is the same text every time (no timestamps, fixed order)', () => {
    expect(renderCatalog({ repoRoot, version: '0.0.0-test' })).toBe(text)
  })
})

function channelId(address: string): string {
  return Object.entries(doc.channels).find(([, c]) => c.address === address)?.[0] ?? ''
}
