import { describe, expect, it } from 'vitest'
import { malformedPayloadsScenario } from '../../../../../devices-sim/scenarios/malformed-payloads/malformed-payloads.js'
import { allEvents, instantiate, START_MS, timeline } from '../run-scenario.js'

describe('devices-sim > scenarios > malformed-payloads', () => {
  it('corrupts 2 % of publishes by default from the start', () => {
    const instance = instantiate(malformedPayloadsScenario, {})
    expect(allEvents(instance)).toMatchObject([{ atMs: START_MS, detail: { malformedProbability: 0.02 } }])
    expect(instance.transport(START_MS)).toEqual({ malformedProbability: 0.02 })
    expect(instance.signal(START_MS)).toEqual({})
  })

  it('can be limited in time', () => {
    const instance = instantiate(malformedPayloadsScenario, {
      startAfterMs: 10,
      durationMs: 10,
      malformedProbability: 1,
    })
    expect(timeline(allEvents(instance))).toEqual([
      [10, 'malformed-payloads-start'],
      [20, 'malformed-payloads-end'],
    ])
    expect(instance.transport(START_MS + 19)).toEqual({ malformedProbability: 1 })
    expect(instance.transport(START_MS + 20)).toEqual({})
  })
})
