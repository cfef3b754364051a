import { describe, expect, it } from 'vitest'
import { PipelineError } from '../../../../core/errors.js'
import { javaPartition } from '../../../../core/kafka/murmur2.js'
import { parsePosition, resolveRanges, selectPartitions } from '../../../../processors/replay/positions.js'
import { checkReplay } from '../../../../processors/replay/replay.js'

const NOW = Date.UTC(2026, 11, 3, 12)
const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    return err instanceof PipelineError ? err.code : String(err)
  }
  return undefined
}

describe('replay positions', () => {
  it('parses earliest, now, offsets, ISO times and durations before now', () => {
    expect(parsePosition('earliest', 'from', NOW)).toEqual({ kind: 'earliest' })
    expect(parsePosition('now', 'to', NOW)).toEqual({ kind: 'now' })
    expect(parsePosition('1200', 'from', NOW)).toEqual({ kind: 'offset', offset: 1200 })
    expect(parsePosition('2026-12-01T00:00:00Z', 'from', NOW)).toEqual({
      kind: 'time',
      ms: Date.UTC(2026, 11, 1),
    })
    expect(parsePosition('-24h', 'from', NOW)).toEqual({ kind: 'time', ms: NOW - 86_400_000 })
  })

  it('refuses what is not a position, with a stable code', () => {
    expect(code(() => parsePosition('now', 'from', NOW))).toBe('REPLAY_INVALID_RANGE')
    expect(code(() => parsePosition('earliest', 'to', NOW))).toBe('REPLAY_INVALID_RANGE')
    expect(code(() => parsePosition('yesterday', 'from', NOW))).toBe('REPLAY_INVALID_RANGE')
  })

  it('reads only the partition a device key is on (murmur2, as the producers place it)', () => {
    expect(selectPartitions(12, { device: 'bm-0001' })).toEqual([javaPartition('bm-0001', 12)])
    expect(selectPartitions(3, {})).toEqual([0, 1, 2])
    expect(selectPartitions(3, { partitions: [2, 0, 2] })).toEqual([0, 2])
    expect(code(() => selectPartitions(3, { partitions: [3] }))).toBe('REPLAY_INVALID_RANGE')
  })

  it('clamps ranges to what is retained and ends at the end offsets seen at start', async () => {
    const marks = [
      { partition: 0, low: 10, high: 100 },
      { partition: 1, low: 0, high: 5 },
    ]
    const lookup = (ms: number) =>
      Promise.resolve(
        new Map([
          [0, ms === 1 ? 40 : 60],
          [1, 5],
        ]),
      )
    expect(await resolveRanges('t', marks, [0, 1], { kind: 'earliest' }, { kind: 'now' }, lookup)).toEqual([
      { topic: 't', partition: 0, from: 10, to: 100 },
      { topic: 't', partition: 1, from: 0, to: 5 },
    ])
    expect(
      await resolveRanges(
        't',
        marks,
        [0, 1],
        { kind: 'offset', offset: 3 },
        { kind: 'offset', offset: 500 },
        lookup,
      ),
    ).toEqual([
      { topic: 't', partition: 0, from: 10, to: 100 },
      { topic: 't', partition: 1, from: 3, to: 5 },
    ])
    expect(
      await resolveRanges('t', marks, [0], { kind: 'time', ms: 1 }, { kind: 'time', ms: 2 }, lookup),
    ).toEqual([{ topic: 't', partition: 0, from: 40, to: 60 }])
  })
})

describe('replay guard', () => {
  const base = { selection: {}, to: { kind: 'now' as const } }
  it('never re-evaluates telemetry into the live alert channel', () => {
    expect(code(() => checkReplay({ ...base, channel: 'telemetry.vitals.v2', into: 'alerting' }))).toBe(
      'REPLAY_LIVE_ALERTS_REFUSED',
    )
  })
  it('refuses a target that cannot take the channel', () => {
    expect(code(() => checkReplay({ ...base, channel: 'alerts.events.v1', into: 'storage' }))).toBe(
      'REPLAY_TARGET_MISMATCH',
    )
    expect(code(() => checkReplay({ ...base, channel: 'telemetry.vitals.v2', into: 'sink' }))).toBe(
      'REPLAY_TARGET_MISMATCH',
    )
    expect(
      code(() => checkReplay({ ...base, channel: 'telemetry.vitals.v2', into: 'storage' })),
    ).toBeUndefined()
  })
  it('positions whole partitions of a new group only from a start', () => {
    expect(
      code(() =>
        checkReplay({ ...base, channel: 'telemetry.vitals.v2', into: 'group', selection: { device: 'x' } }),
      ),
    ).toBe('REPLAY_INVALID_RANGE')
    expect(
      code(() =>
        checkReplay({
          channel: 'telemetry.vitals.v2',
          into: 'group',
          selection: {},
          to: { kind: 'offset', offset: 4 },
        }),
      ),
    ).toBe('REPLAY_INVALID_RANGE')
  })
})
