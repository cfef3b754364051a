import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createLagTracker, type LagTrackerOptions } from '../../../../core/kafka/consumer-lag.js'
import type { TopicPartition } from '../../../../core/kafka/consumer-port.js'

// The position rules of the lag gauge (core/kafka/consumer-lag.ts), on librdkafka-shaped
// statistics; the real consumer is tested in test/integration/core/kafka/consumer-lag.test.ts.

const stats = (partitions: Record<string, Record<string, number>>, topic = 't'): string =>
  JSON.stringify({ topics: { [topic]: { partitions: { '-1': { hi_offset: -1001 }, ...partitions } } } })

function setup(overrides: Partial<LagTrackerOptions> = {}) {
  const registry = new Registry()
  let owned: TopicPartition[] = [
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]
  const processed = new Map<string, number>()
  const tracker = createLagTracker({
    registry,
    groupId: 'g',
    assignments: () => owned,
    processed: () => processed,
    paused: () => [],
    queryEnd: () => Promise.resolve(-1),
    readCommitted: false,
    fromBeginning: false,
    ...overrides,
  })
  const series = async (): Promise<Record<string, number>> => {
    const metric = await registry.getSingleMetric('pulsewire_kafka_consumer_lag')?.get()
    return Object.fromEntries(
      (metric?.values ?? []).map((v) => [`${v.labels.group}/${v.labels.partition}`, v.value]),
    )
  }
  return { tracker, processed, series, own: (tps: TopicPartition[]) => (owned = tps), registry }
}

describe('unit > core > kafka > consumer lag', () => {
  it('measures from the committed offset, then from what the handler finished', async () => {
    const { tracker, processed, series } = setup()
    tracker.onStats(
      stats({ '0': { hi_offset: 10, committed_offset: 3 }, '1': { hi_offset: 4, committed_offset: 1 } }),
    )
    expect(await series()).toEqual({ 'g/0': 7, 'g/1': 3 })
    processed.set('t/0', 8)
    expect(await series()).toEqual({ 'g/0': 2, 'g/1': 3 })
  })

  it('is absent while nothing is known, and never negative', async () => {
    const { tracker, processed, series } = setup()
    expect(await series()).toEqual({})
    tracker.onStats(stats({ '0': { hi_offset: 10, committed_offset: -1001 } }))
    expect(await series()).toEqual({})
    processed.set('t/0', 12) // finished records the last statistics tick has not seen yet
    expect(await series()).toEqual({ 'g/0': 0 })
  })

  it('starts a group without commits at the log start when it reads from the beginning', async () => {
    const { tracker, series } = setup({ fromBeginning: true })
    tracker.onStats(stats({ '0': { hi_offset: 10, lo_offset: 2, committed_offset: -1001 } }))
    expect(await series()).toEqual({ 'g/0': 8 })
  })

  it('uses the last stable offset for read_committed readers', async () => {
    const { tracker, series } = setup({ readCommitted: true })
    tracker.onStats(stats({ '0': { hi_offset: 10, ls_offset: 6, committed_offset: 5 } }))
    expect(await series()).toEqual({ 'g/0': 1 })
  })

  it('does not count a transaction marker after the last record once everything delivered is done', async () => {
    const { tracker, processed, series } = setup()
    tracker.onStats(stats({ '0': { hi_offset: 6, committed_offset: 0 } }))
    tracker.delivered([0, 1, 2, 3, 4].map((offset) => ({ topic: 't', partition: 0, offset })))
    tracker.endReached({ topic: 't', partition: 0, offset: 6 }) // 5 is the commit marker
    expect(await series()).toEqual({ 'g/0': 6 }) // delivered, not finished yet
    processed.set('t/0', 5)
    expect(await series()).toEqual({ 'g/0': 0 })
  })

  it('drops the series of a partition the member no longer owns', async () => {
    const { tracker, series, own } = setup()
    tracker.onStats(
      stats({ '0': { hi_offset: 10, committed_offset: 3 }, '1': { hi_offset: 4, committed_offset: 1 } }),
    )
    own([{ topic: 't', partition: 0 }])
    tracker.forget([{ topic: 't', partition: 1 }])
    expect(await series()).toEqual({ 'g/0': 7 })
  })

  it('shares one gauge between the consumers of a process, and forgets a closed one', async () => {
    const { tracker, series, registry } = setup()
    const other = createLagTracker({
      registry,
      groupId: 'h',
      assignments: () => [{ topic: 't', partition: 0 }],
      processed: () => new Map(),
      paused: () => [],
      queryEnd: () => Promise.resolve(-1),
      readCommitted: false,
      fromBeginning: false,
    })
    tracker.onStats(stats({ '0': { hi_offset: 10, committed_offset: 3 } }))
    other.onStats(stats({ '0': { hi_offset: 10, committed_offset: 9 } }))
    expect(await series()).toEqual({ 'g/0': 7, 'h/0': 1 })
    other.close()
    expect(await series()).toEqual({ 'g/0': 7 })
  })

  it('asks the leader for the end of a paused partition (no fetches, so no fresh statistics)', async () => {
    let asked = 0
    const { tracker, series } = setup({
      paused: () => [{ topic: 't', partition: 0 }],
      queryEnd: () => {
        asked++
        return Promise.resolve(50)
      },
    })
    tracker.onStats(stats({ '0': { hi_offset: 10, committed_offset: 3 } }))
    await Promise.resolve()
    expect(asked).toBe(1)
    expect(await series()).toEqual({ 'g/0': 47 })
  })
})
