import { describe, expect, it } from 'vitest'
import { duplicateRedeliveryScenario } from '../../../../../devices-sim/scenarios/duplicate-redelivery/duplicate-redelivery.js'
import { allEvents, instantiate, START_MS } from '../run-scenario.js'

describe('devices-sim > scenarios > duplicate-redelivery', () => {
  it('sets duplicate and reorder probabilities (5 % each) and records them once at the start', () => {
    const instance = instantiate(duplicateRedeliveryScenario, {})
    const rates = { duplicateProbability: 0.05, reorderProbability: 0.05 }
    expect(allEvents(instance)).toMatchObject([
      { atMs: START_MS, event: 'duplicate-redelivery-start', detail: rates },
    ])
    expect(instance.transport(START_MS)).toEqual(rates)
    expect(instance.transport(START_MS - 1)).toEqual({})
  })

  it('rejects probabilities outside 0…1', () => {
    expect(duplicateRedeliveryScenario.configSchema.safeParse({ duplicateProbability: 1.5 }).success).toBe(
      false,
    )
  })
})
