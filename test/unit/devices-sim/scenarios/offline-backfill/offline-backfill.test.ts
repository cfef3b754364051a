import { describe, expect, it } from 'vitest'
import { offlineBackfillScenario } from '../../../../../devices-sim/scenarios/offline-backfill/offline-backfill.js'
import { allEvents, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > offline-backfill', () => {
  it('is offline with backfill for 2 min from 1 min, then back', () => {
    const instance = instantiate(offlineBackfillScenario, {})
    expect(timeline(allEvents(instance))).toEqual([
      [60_000, 'offline-start'],
      [180_000, 'offline-end'],
    ])
    expect(instance.transport(START_MS + 59_999)).toEqual({})
    expect(instance.transport(START_MS + 60_000)).toEqual({ offline: true, backfill: true })
    expect(instance.transport(START_MS + 179_999)).toEqual({ offline: true, backfill: true })
    expect(instance.transport(START_MS + 180_000)).toEqual({})
    expect(instance.signal(START_MS + 100_000)).toEqual({})
  })

  it('can drop the buffered data instead', () => {
    const instance = instantiate(offlineBackfillScenario, {
      backfill: false,
      startAfterMs: 0,
      durationMs: 5000,
    })
    expect(instance.transport(START_MS)).toEqual({ offline: true, backfill: false })
    expect(allEvents(instance)[0]?.detail).toEqual({ backfill: false })
  })
})
