import { describe, expect, it } from 'vitest'
import { waitUntilSettled, type SettleOptions } from '../../../../bench/loadtest/settle.js'

/** A clock the loop's sleeps move: the loop runs in virtual time, instantly. */
function harness(overrides: Partial<SettleOptions> & { stored: (nowMs: number) => number }) {
  let now = 0
  const clock = { now: () => now }
  const options: SettleOptions = {
    ledger: { kafkaDistinct: 100, acked: 100 },
    storedTotal: () => Promise.resolve(overrides.stored(now)),
    qos: 1,
    samples: 2,
    clock,
    deadlineMs: 120_000,
    quietMs: 25_000,
    sleep: (ms) => {
      now += ms
      return Promise.resolve()
    },
    ...overrides,
  }
  return { options, clock }
}

describe('waitUntilSettled', () => {
  it('returns as soon as every reading that reached Kafka is stored', async () => {
    const { options, clock } = harness({ stored: (t) => (t >= 3_000 ? 200 : 120) })
    const { lastStoredAtMs } = await waitUntilSettled(options)
    expect(clock.now()).toBe(3_000)
    expect(lastStoredAtMs).toBe(3_000)
  })

  it('calls it after the quiet period when nothing moves and no group owes records', async () => {
    const { options, clock } = harness({ stored: () => 120, pendingRecords: () => Promise.resolve(0) })
    await waitUntilSettled(options)
    expect(clock.now()).toBe(25_000)
  })

  it('keeps waiting past the quiet period while a consumer group still owes records', async () => {
    // A store stuck on retries for 40 s (lag unchanged), then writing the rest.
    const { options, clock } = harness({
      stored: (t) => (t >= 40_000 ? 200 : 120),
      pendingRecords: () => Promise.resolve(clock.now() >= 40_000 ? 0 : 80),
    })
    const { lastStoredAtMs } = await waitUntilSettled(options)
    expect(lastStoredAtMs).toBe(40_000)
    expect(clock.now()).toBe(40_000)
  })

  it('still gives up at the deadline when the owed records never come', async () => {
    const { options, clock } = harness({ stored: () => 120, pendingRecords: () => Promise.resolve(80) })
    await waitUntilSettled(options)
    expect(clock.now()).toBe(120_000)
  })

  it('treats an unreadable lag as unknown: the quiet period decides', async () => {
    const { options, clock } = harness({
      stored: () => 120,
      pendingRecords: () => Promise.reject(new Error('broker down')),
    })
    await waitUntilSettled(options)
    expect(clock.now()).toBe(25_000)
  })
})
