import { describe, expect, it } from 'vitest'
import { brokerCounts, createBrokerLiveness } from '../../../../core/kafka/broker-liveness.js'

/** The shape of librdkafka's statistics, reduced to what is read (a bootstrap entry included). */
const stats = (states: string[]): string =>
  JSON.stringify({
    name: 'gateway#producer-1',
    brokers: {
      '127.0.0.1:19092/bootstrap': { nodeid: -1, state: 'UP' },
      ':0/internal': { nodeid: -1, state: 'INIT' },
      ...Object.fromEntries(
        states.map((state, i) => [`127.0.0.1:1909${2 + i}/${i + 1}`, { nodeid: i + 1, state }]),
      ),
    },
  })

describe('broker liveness from librdkafka statistics', () => {
  it('counts only the cluster brokers (node id ≥ 0), not bootstrap or internal entries', () => {
    expect(brokerCounts(stats(['UP', 'DOWN', 'APIVERSION_QUERY']))).toEqual({ known: 3, up: 1 })
    expect(brokerCounts(JSON.stringify({}))).toEqual({ known: 0, up: 0 })
  })

  it('answers true while a majority is UP: one frozen broker of three leaves the gateway ready', () => {
    let now = 0
    const liveness = createBrokerLiveness({ now: () => now, staleMs: 3_000 })
    expect(liveness.majorityUp()).toBeUndefined() // no statistics yet: ask the cluster
    liveness.update(stats(['UP', 'UP', 'UP']))
    expect(liveness.majorityUp()).toBe(true)
    now = 1_000
    liveness.update(stats(['UP', 'APIVERSION_QUERY', 'UP']))
    expect(liveness.majorityUp()).toBe(true)
  })

  it('has no answer when the majority is gone, for one broker down, or when the statistics are stale', () => {
    let now = 0
    const liveness = createBrokerLiveness({ now: () => now, staleMs: 3_000 })
    liveness.update(stats(['UP', 'DOWN', 'CONNECT']))
    expect(liveness.majorityUp()).toBeUndefined()
    liveness.update(stats(['DOWN']))
    expect(liveness.majorityUp()).toBeUndefined()
    liveness.update(stats(['UP']))
    expect(liveness.majorityUp()).toBe(true)
    now = 3_001 // no statistics for longer than staleMs (an idle producer polls nothing)
    expect(liveness.majorityUp()).toBeUndefined()
    liveness.update('not json')
    expect(liveness.majorityUp()).toBeUndefined()
  })
})
