import { describe, expect, it } from 'vitest'
import { createRng } from '../../../../devices-sim/rng.js'
import {
  activeEpisode,
  eventFactory,
  eventsBetween,
  planEpisodes,
  rangeSchema,
} from '../../../../devices-sim/scenarios/timeline.js'

describe('devices-sim > scenarios > timeline', () => {
  const episodes = [
    { startMs: 10, endMs: 20 },
    { startMs: 30, endMs: 35 },
    { startMs: 50, endMs: 90 },
  ]

  it('finds the episode containing a time, half-open [start, end)', () => {
    expect(activeEpisode(episodes, 9)).toBeUndefined()
    expect(activeEpisode(episodes, 10)).toBe(episodes[0])
    expect(activeEpisode(episodes, 19)).toBe(episodes[0])
    expect(activeEpisode(episodes, 20)).toBeUndefined()
    expect(activeEpisode(episodes, 34)).toBe(episodes[1])
    expect(activeEpisode(episodes, 89)).toBe(episodes[2])
    expect(activeEpisode([], 5)).toBeUndefined()
  })

  it('selects events with from < atMs <= to', () => {
    const event = eventFactory('d', 's')
    const events = [event(10, 'a'), event(20, 'b', { x: 1 })]
    expect(eventsBetween(events, 10, 20)).toEqual([
      { atMs: 20, deviceId: 'd', scenario: 's', event: 'b', detail: { x: 1 } },
    ])
    expect(eventsBetween(events, 9, 10).map((e) => e.event)).toEqual(['a'])
    expect(eventsBetween(events, 20, 100)).toEqual([])
  })

  it('plans non-overlapping episodes with start-to-start gaps in range', () => {
    const planned = planEpisodes(
      createRng(4),
      { fromMs: 0, untilMs: 3_600_000, intervalMs: [60_000, 180_000] },
      (s) => ({
        startMs: s,
        endMs: s + 30_000,
      }),
    )
    expect(planned[0]?.startMs).toBe(0)
    planned.slice(1).forEach((e, i) => {
      const gap = e.startMs - (planned[i]?.startMs ?? 0)
      expect(gap).toBeGreaterThanOrEqual(60_000)
      expect(gap).toBeLessThanOrEqual(180_000)
    })
    expect(planned.at(-1)?.startMs).toBeLessThan(3_600_000)
  })

  it('range configs need min <= max and default when absent', () => {
    const schema = rangeSchema(0, 100, [4, 15], 'depth')
    expect(schema.parse(undefined)).toEqual([4, 15])
    expect(schema.safeParse([15, 4]).success).toBe(false)
    expect(schema.safeParse([5, 500]).success).toBe(false)
  })
})
