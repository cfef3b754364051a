import { describe, expect, it } from 'vitest'
import { createPartitionClocks } from '../../../../processors/alerting/partition-clocks.js'

const P = 'telemetry.vitals.v2/0'
const Q = 'telemetry.vitals.v2/1'

describe('processors > alerting > partition clocks', () => {
  it('moves only forward, per partition, and reports a gap where it ended', () => {
    const clocks = createPartitionClocks({ gapMs: 5_000, stallMs: 10_000 })
    clocks.assign([P, Q], 0)
    expect(clocks.observe(P, 1_000, 0)).toEqual({})
    expect(clocks.observe(P, 2_000, 0)).toEqual({})
    expect(clocks.observe(P, 1_500, 0)).toEqual({}) // an older record (another gateway) moves nothing
    expect(clocks.clock(P)).toBe(2_000)
    expect(clocks.clock(Q)).toBeUndefined() // one partition's traffic moves no other clock
    expect(clocks.observe(P, 7_000, 0)).toEqual({}) // exactly gapMs: heartbeats were late, not missing
    expect(clocks.observe(P, 12_001, 0)).toEqual({ gapFromMs: 7_000 })
  })

  it('a restored clock makes a gap across a restart visible', () => {
    const clocks = createPartitionClocks({ gapMs: 5_000, stallMs: 10_000 })
    clocks.assign([P], 0)
    clocks.restore(P, 50_000)
    clocks.restore(P, 40_000) // the newest of the restored devices' clocks wins
    expect(clocks.observe(P, 120_000, 0)).toEqual({ gapFromMs: 50_000 })
    clocks.restore('telemetry.vitals.v2/7', 1) // not assigned: ignored
    expect(clocks.known()).toEqual([P])
  })

  it('stalls only partitions with a known clock, after stallMs of quiet (a stopping gateway: its grace)', () => {
    const clocks = createPartitionClocks({ gapMs: 5_000, stallMs: 10_000 })
    clocks.assign([P, Q], 100_000)
    expect(clocks.stalled(200_000)).toEqual([]) // never heard of: nothing to lose
    clocks.observe(P, 1, 100_000)
    clocks.observe(Q, 1, 100_000, 30_000) // the gateway said it is stopping, 30 s grace
    expect(clocks.stalled(110_000)).toEqual([])
    expect(clocks.stalled(110_001)).toEqual([P])
    expect(clocks.stalled(130_001)).toEqual([P, Q])
    clocks.observe(Q, 2, 131_000) // back: the ordinary limit again
    expect(clocks.stalled(141_001)).toEqual([P, Q])
    expect(clocks.stalled(140_000)).toEqual([P])
  })

  it('knows the devices and sites of a partition, and forgets all on a new assignment', () => {
    const clocks = createPartitionClocks({ gapMs: 5_000, stallMs: 10_000 })
    clocks.assign([P, Q], 0)
    clocks.join(P, 'bm-1', 'ward3')
    clocks.join(P, 'bm-2', undefined)
    clocks.join(Q, 'bm-3', 'icu1')
    expect([...clocks.devices(P)]).toEqual(['bm-1', 'bm-2'])
    expect(clocks.sites([P, Q])).toEqual(['icu1', 'ward3'])
    clocks.assign([Q], 0)
    expect(clocks.devices(Q).size).toBe(0)
    expect(clocks.devices(P).size).toBe(0)
  })
})
