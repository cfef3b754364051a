import { describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import type { Clock } from '../../../../core/clock.js'
import { PipelineError } from '../../../../core/errors.js'
import type { KafkaProducer } from '../../../../core/kafka/producer.js'
import { createRecoveringProducer, GAVE_UP, RECREATING } from '../../../../core/kafka/recovering-producer.js'

/** A fake at the producing port: records what it was asked, raises fatal when told. */
function fakeFactory(startFailures = 0) {
  const made: Array<{
    producer: KafkaProducer
    fatal: (err: PipelineError) => void
    stopped: boolean
    produced: number
  }> = []
  let failuresLeft = startFailures
  const create = (onFatal: (err: PipelineError) => void): KafkaProducer => {
    const entry = {
      producer: undefined as unknown as KafkaProducer,
      fatal: onFatal,
      stopped: false,
      produced: 0,
    }
    entry.producer = {
      name: 'fake',
      start: () =>
        failuresLeft-- > 0
          ? Promise.reject(new PipelineError('KAFKA_CONNECT_FAILED', 'down', { retriable: true }))
          : Promise.resolve(),
      stop: () => ((entry.stopped = true), Promise.resolve()),
      produce: () => (
        entry.produced++,
        Promise.resolve({ topic: 't', partition: 0, offset: entry.produced })
      ),
      inFlight: () => 0,
      waiting: () => ({ records: 0, bytes: 0 }),
      ping: () => Promise.resolve(true),
      flush: () => Promise.resolve(),
    }
    made.push(entry)
    return entry.producer
  }
  return { made, create }
}

/** Sleeps end when the test releases them, so the not-ready window is observable. */
function gatedClock(): Clock & { release(): void; sleeps: number[] } {
  let gates: Array<() => void> = []
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => 0,
    sleep: (ms) => (sleeps.push(ms), new Promise<void>((resolve) => gates.push(resolve))),
    release: () => {
      const open = gates
      gates = []
      for (const g of open) g()
    },
  }
}

const fatalError = new PipelineError('KAFKA_PRODUCER_FATAL', 'producer fatal error: fenced', {
  retriable: true,
})
const logger = pino({ level: 'silent' })
const record = { topic: 't', key: 'd', value: Buffer.from('x'), headers: {} }

describe('core > kafka > recovering-producer', () => {
  it('is unavailable and refuses records while the producer is replaced, then uses the new one', async () => {
    const { made, create } = fakeFactory()
    const clock = gatedClock()
    const outcomes: string[] = []
    const producer = createRecoveringProducer({ create, logger, clock, onRecovery: (o) => outcomes.push(o) })
    await producer.start()
    await producer.produce(record)
    expect(producer.unavailable()).toBeUndefined()

    made[0]!.fatal(fatalError)
    made[0]!.fatal(fatalError) // a second report of the same client changes nothing

    expect(producer.unavailable()).toBe(RECREATING)
    expect(await producer.ping(100)).toBe(false)
    await expect(producer.produce(record)).rejects.toMatchObject({
      code: 'KAFKA_NOT_CONNECTED',
      retriable: true,
    })
    await vi.waitFor(() => expect(clock.sleeps).toEqual([500]))
    expect(made[0]!.stopped).toBe(true)
    clock.release()
    await vi.waitFor(() => expect(producer.unavailable()).toBeUndefined())
    expect(outcomes).toEqual(['recreated'])
    expect(made).toHaveLength(2)
    await producer.produce(record)
    expect(made.map((m) => m.produced)).toEqual([1, 1])
    // The retired client's late reports are ignored; the new one's are not.
    made[0]!.fatal(fatalError)
    expect(producer.unavailable()).toBeUndefined()
    made[1]!.fatal(fatalError)
    expect(producer.unavailable()).toBe(RECREATING)
    await producer.stop()
  })

  it('retries a replacement that does not start, with bounded attempts, then gives up', async () => {
    const { made, create } = fakeFactory(10)
    const clock = gatedClock()
    const gaveUp = vi.fn()
    const outcomes: string[] = []
    const producer = createRecoveringProducer({
      create,
      logger,
      clock,
      retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 1_000 },
      onRecovery: (o) => outcomes.push(o),
      onGiveUp: gaveUp,
    })
    made[0]!.fatal(fatalError)
    for (let i = 0; i < 3; i++) {
      await vi.waitFor(() => expect(clock.sleeps).toHaveLength(i + 1))
      clock.release()
    }
    await vi.waitFor(() => expect(gaveUp).toHaveBeenCalledOnce())
    expect(made).toHaveLength(4) // the first client and three attempts, each stopped
    expect(made.every((m) => m.stopped)).toBe(true)
    expect(producer.unavailable()).toBe(GAVE_UP)
    expect(outcomes).toEqual(['failed'])
    expect(gaveUp.mock.calls[0]?.[0]).toMatchObject({ code: 'RETRY_EXHAUSTED' })
    await producer.stop()
  })

  it('stops without replacing anything when stopped during the backoff', async () => {
    const { made, create } = fakeFactory()
    const clock: Clock = {
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error))),
    }
    const producer = createRecoveringProducer({ create, logger, clock })
    made[0]!.fatal(fatalError)
    await producer.stop()
    expect(made).toHaveLength(1)
  })
})
