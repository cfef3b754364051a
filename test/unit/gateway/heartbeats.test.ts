import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { PipelineError } from '../../../core/errors.js'
import type { DeliveryReport, ProduceRecord } from '../../../core/kafka/records.js'
import { isHeartbeat, readHeartbeat } from '../../../core/telemetry/heartbeat.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { createHeartbeats } from '../../../gateway/heartbeats.js'
import { createGatewayMetrics } from '../../../gateway/metrics.js'
import { FakeClock } from '../../helpers/fake-clock.js'
import { silentLogger } from '../../helpers/services.js'

/** A producer whose deliveries the test settles: what was produced, and what is still undelivered. */
function fakeProducer() {
  const produced: ProduceRecord[] = []
  const open: Array<{ record: ProduceRecord; settle: (err?: Error) => void }> = []
  const state = { unavailable: undefined as string | undefined, waiting: 0 }
  return {
    produced,
    open,
    state,
    deliverAll() {
      for (const o of open.splice(0)) o.settle()
    },
    failAll(err: Error) {
      for (const o of open.splice(0)) o.settle(err)
    },
    producer: {
      produce(record: ProduceRecord): Promise<DeliveryReport> {
        produced.push(record)
        return new Promise<DeliveryReport>((resolve, reject) =>
          open.push({
            record,
            settle: (err) =>
              err
                ? reject(err)
                : resolve({ topic: record.topic, partition: record.partition ?? 0, offset: 0 }),
          }),
        )
      },
      unavailable: () => state.unavailable,
      waiting: () => ({ records: state.waiting, bytes: 0 }),
    },
  }
}

function setup(counts: Record<string, number> = { a: 3, b: 2 }) {
  const clock = new FakeClock(1_000_000)
  const registry = new Registry()
  const metrics = createGatewayMetrics(registry)
  const fake = fakeProducer()
  let current = new Map(Object.entries(counts))
  let metadataCalls = 0
  const heartbeats = createHeartbeats({
    producer: fake.producer,
    channels: ['a', 'b'],
    partitionCounts: () => (metadataCalls++, Promise.resolve(current)),
    gatewayId: 'gw-1',
    intervalMs: 1_000,
    metadataRefreshMs: 60_000,
    maxWaitingRecords: 100,
    clock,
    metrics,
    logger: silentLogger,
  })
  const value = async (name: string, labels: Record<string, string>): Promise<number> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
    const match = (metric?.values ?? []).find((v) =>
      Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
    )
    return match?.value ?? 0
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve))
  return {
    clock,
    fake,
    heartbeats,
    value,
    settle,
    setCounts: (next: Record<string, number>) => (current = new Map(Object.entries(next))),
    metadataCalls: () => metadataCalls,
  }
}

const slots = (records: readonly ProduceRecord[]) => records.map((r) => `${r.topic}/${r.partition}`).sort()

describe('unit > gateway > heartbeats', () => {
  it('sends one keyless, empty heartbeat per partition per interval, with the id and the enqueue time', async () => {
    const { clock, fake, heartbeats, value } = setup()
    await heartbeats.start()
    expect(slots(fake.produced)).toEqual(['a/0', 'a/1', 'a/2', 'b/0', 'b/1'])
    for (const record of fake.produced) {
      expect(record.key).toBeUndefined()
      expect(record.value).toHaveLength(0)
      expect(record.headers).toEqual({ [HEADERS.heartbeat]: 'gw-1', [HEADERS.gatewayRxTs]: '1000000' })
    }
    fake.deliverAll()
    await clock.advance(1_000)
    expect(fake.produced).toHaveLength(10)
    expect(fake.produced.slice(5).every((r) => r.headers?.[HEADERS.gatewayRxTs] === '1001000')).toBe(true)
    fake.deliverAll()
    await clock.advance(0)
    expect(await value('pulsewire_gateway_heartbeats_sent_total', { outcome: 'delivered' })).toBe(10)
    await heartbeats.stop()
    await clock.advance(5_000)
    expect(fake.produced).toHaveLength(10)
  })

  it('skips a partition whose previous heartbeat is undelivered, so an outage piles nothing up', async () => {
    const { clock, fake, heartbeats, value, settle } = setup()
    await heartbeats.start()
    for (let i = 0; i < 30; i++) await clock.advance(1_000) // Kafka unreachable: nothing delivered
    expect(fake.produced).toHaveLength(5)
    expect(fake.open).toHaveLength(5)
    expect(await value('pulsewire_gateway_heartbeats_skipped_total', { reason: 'pending' })).toBe(150)
    fake.deliverAll() // back
    await settle()
    await clock.advance(1_000)
    expect(fake.produced).toHaveLength(10)
    await heartbeats.stop()
  })

  it('skips every partition while the producer is not ready, and on a full backlog', async () => {
    const { clock, fake, heartbeats, value } = setup()
    fake.state.unavailable = 'recreating'
    await heartbeats.start()
    await clock.advance(1_000)
    expect(fake.produced).toHaveLength(0)
    expect(await value('pulsewire_gateway_heartbeats_skipped_total', { reason: 'not_ready' })).toBe(10)
    fake.state.unavailable = undefined
    fake.state.waiting = 100
    await clock.advance(1_000)
    expect(fake.produced).toHaveLength(0)
    expect(await value('pulsewire_gateway_heartbeats_skipped_total', { reason: 'backlog_full' })).toBe(5)
    fake.state.waiting = 99
    await clock.advance(1_000)
    expect(fake.produced).toHaveLength(5)
    await heartbeats.stop()
  })

  it('counts a failed heartbeat and a refused one without stopping the next', async () => {
    const { clock, fake, heartbeats, value, settle } = setup()
    await heartbeats.start()
    fake.failAll(new PipelineError('KAFKA_DELIVERY_FAILED', 'x', { retriable: true }))
    await settle()
    expect(await value('pulsewire_gateway_heartbeats_sent_total', { outcome: 'failed' })).toBe(5)
    await clock.advance(1_000)
    fake.failAll(new PipelineError('KAFKA_BACKLOG_FULL', 'x', { retriable: true }))
    await settle()
    expect(await value('pulsewire_gateway_heartbeats_skipped_total', { reason: 'backlog_full' })).toBe(5)
    await clock.advance(1_000)
    expect(fake.produced).toHaveLength(15)
    await heartbeats.stop()
  })

  it('reads the partition counts again every metadataRefreshMs and covers grown partitions', async () => {
    const { clock, fake, heartbeats, setCounts, metadataCalls } = setup({ a: 1, b: 1 })
    await heartbeats.start()
    expect(metadataCalls()).toBe(1)
    setCounts({ a: 3, b: 1 })
    for (let i = 0; i < 59; i++) {
      fake.deliverAll()
      await clock.advance(1_000)
    }
    expect(metadataCalls()).toBe(1)
    fake.deliverAll()
    await clock.advance(1_000) // 60 s: refreshed, this beat still uses the old counts
    expect(metadataCalls()).toBe(2)
    fake.deliverAll()
    fake.produced.length = 0
    await clock.advance(1_000)
    expect(slots(fake.produced)).toEqual(['a/0', 'a/1', 'a/2', 'b/0'])
    await heartbeats.stop()
  })

  it('a channel missing from the metadata gets none; no metadata at all is counted and retried soon', async () => {
    const { clock, fake, heartbeats, value, setCounts, metadataCalls } = setup({})
    await heartbeats.start()
    expect(fake.produced).toHaveLength(0)
    expect(await value('pulsewire_gateway_heartbeats_skipped_total', { reason: 'no_metadata' })).toBe(2)
    setCounts({ a: 2 })
    for (let i = 0; i < 5; i++) await clock.advance(1_000)
    expect(metadataCalls()).toBe(2)
    await clock.advance(1_000)
    expect(slots(fake.produced)).toEqual(['a/0', 'a/1'])
    await heartbeats.stop()
  })

  it('finish() sends a final heartbeat with the grace on every partition, even behind undelivered ones, then no more', async () => {
    const { clock, fake, heartbeats } = setup()
    await heartbeats.start()
    await clock.advance(500)
    let done = false
    const finished = heartbeats.finish(30_000).then(() => (done = true))
    // Enqueued synchronously: before the caller closes any connection.
    expect(fake.produced).toHaveLength(10)
    const finals = fake.produced.slice(5)
    expect(slots(finals)).toEqual(['a/0', 'a/1', 'a/2', 'b/0', 'b/1'])
    for (const record of finals) {
      const heartbeat = readHeartbeat({ headers: bufferHeaders(record) })
      expect(heartbeat).toEqual({ gatewayId: 'gw-1', rxMs: 1_000_500, graceMs: 30_000 })
    }
    await clock.advance(0)
    expect(done).toBe(false) // waits for their delivery
    fake.deliverAll()
    await finished
    await clock.advance(10_000)
    expect(fake.produced).toHaveLength(10)
    await heartbeats.finish(30_000) // once only
    expect(fake.produced).toHaveLength(10)
  })

  it('finish() sends nothing while the producer is not ready', async () => {
    const { fake, heartbeats, value } = setup()
    await heartbeats.start()
    fake.deliverAll()
    fake.state.unavailable = 'recreating'
    await heartbeats.finish(30_000)
    expect(fake.produced).toHaveLength(5)
    expect(await value('pulsewire_gateway_heartbeats_skipped_total', { reason: 'not_ready' })).toBe(5)
  })
})

describe('unit > core > telemetry > heartbeat records', () => {
  it('tells heartbeats from telemetry and refuses a malformed receive time', () => {
    expect(isHeartbeat({ headers: { [HEADERS.heartbeat]: Buffer.from('gw') } })).toBe(true)
    expect(isHeartbeat({ headers: { [HEADERS.gatewayRxTs]: Buffer.from('1') } })).toBe(false)
    expect(
      readHeartbeat({
        headers: { [HEADERS.heartbeat]: Buffer.from('gw'), [HEADERS.gatewayRxTs]: Buffer.from('12') },
      }),
    ).toEqual({ gatewayId: 'gw', rxMs: 12, graceMs: undefined })
    expect(
      readHeartbeat({
        headers: { [HEADERS.heartbeat]: Buffer.from('gw'), [HEADERS.gatewayRxTs]: Buffer.from('-1') },
      }),
    ).toBeUndefined()
  })
})

function bufferHeaders(record: ProduceRecord): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(record.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]))
}
