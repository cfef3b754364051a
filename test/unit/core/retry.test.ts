import { describe, expect, it } from 'vitest'
import { PipelineError } from '../../../core/errors.js'
import { backoffDelay, retry } from '../../../core/retry.js'
import { FakeClock } from '../../helpers/fake-clock.js'

const transient = (): PipelineError => new PipelineError('INFLUX_UNAVAILABLE', 'down', { retriable: true })

describe('core > retry', () => {
  it('retries retriable failures with growing, capped delays until success', async () => {
    const clock = new FakeClock()
    let calls = 0
    const result = retry(
      () => {
        calls++
        return calls < 4 ? Promise.reject(transient()) : Promise.resolve('ok')
      },
      { attempts: 5, initialDelayMs: 100, maxDelayMs: 300, clock, random: () => 1 },
    )
    await clock.runAll()
    await expect(result).resolves.toBe('ok')
    expect(calls).toBe(4)
    expect(clock.sleeps).toEqual([100, 200, 300])
  })

  it('never retries a non-retriable error or a programmer error', async () => {
    let calls = 0
    const fatal = new PipelineError('INFLUX_WRITE_FAILED', 'bad request', { retriable: false })
    await expect(
      retry(
        () => {
          calls++
          return Promise.reject(fatal)
        },
        { attempts: 5, initialDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toBe(fatal)
    await expect(
      retry(() => Promise.reject(new TypeError('bug')), { attempts: 5, initialDelayMs: 1, maxDelayMs: 1 }),
    ).rejects.toBeInstanceOf(TypeError)
    expect(calls).toBe(1)
  })

  it('gives up after the last attempt with the attempt count and the cause', async () => {
    const clock = new FakeClock()
    const last = transient()
    const outcome = retry(() => Promise.reject(last), {
      attempts: 3,
      initialDelayMs: 10,
      maxDelayMs: 10,
      clock,
    }).catch((e: unknown) => e)
    await clock.runAll()
    const err = (await outcome) as PipelineError
    expect(err.code).toBe('RETRY_EXHAUSTED')
    expect(err.context).toEqual({ attempts: 3 })
    expect(err.cause).toBe(last)
  })

  it('stops waiting when aborted', async () => {
    const controller = new AbortController()
    const clock = new FakeClock()
    const result = retry(() => Promise.reject(transient()), {
      attempts: 10,
      initialDelayMs: 1_000,
      maxDelayMs: 1_000,
      clock,
      signal: controller.signal,
    })
    await Promise.resolve()
    controller.abort(new Error('shutting down'))
    await expect(result).rejects.toThrow('shutting down')
  })

  it('spreads delays between half and all of the exponential ceiling (full jitter)', () => {
    const options = { attempts: 10, initialDelayMs: 100, maxDelayMs: 10_000 }
    expect(backoffDelay(4, options, () => 0)).toBe(400)
    expect(backoffDelay(4, options, () => 0.999999)).toBe(800)
    expect(backoffDelay(20, options, () => 0.999999)).toBe(10_000)
  })
})
