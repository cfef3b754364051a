import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../../core/alerts/alert-event.js'
import type { PipelineError } from '../../../../core/errors.js'
import type { DeadLetter } from '../../../../processors/sinks/dead-letters.js'
import { createSinkMetrics } from '../../../../processors/sinks/metrics.js'
import {
  RunnerStoppedError,
  createSinkRunner,
  type DeliveryPolicy,
} from '../../../../processors/sinks/runner.js'
import {
  permanentFailure,
  retriableFailure,
  type DeliveryContext,
  type Sink,
} from '../../../../processors/sinks/sink.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { alertEvent, alertRecord } from '../../../helpers/alert-events.js'

const POLICY: DeliveryPolicy = { attempts: 4, timeoutMs: 10_000, initialDelayMs: 100, maxDelayMs: 1_000 }

interface Harness {
  clock: FakeClock
  calls: Array<{ event: AlertEvent; ctx: DeliveryContext }>
  letters: DeadLetter[]
  flushes: number
  runner: ReturnType<typeof createSinkRunner>
  metric(name: string, labels?: Record<string, string>): Promise<number>
}

/** A runner around a scripted sink: `outcomes` says what each call does, in call order. */
function harness(outcomes: Array<'ok' | 'retriable' | 'permanent' | 'hang'>, policy = POLICY): Harness {
  const clock = new FakeClock()
  const registry = new Registry()
  const calls: Harness['calls'] = []
  const letters: DeadLetter[] = []
  const state = { flushes: 0 }
  const sink: Sink = {
    deliver(event, ctx) {
      calls.push({ event, ctx })
      const outcome = outcomes[calls.length - 1] ?? 'ok'
      if (outcome === 'retriable') return Promise.reject(retriableFailure('503 from receiver'))
      if (outcome === 'permanent') return Promise.reject(permanentFailure('400 from receiver'))
      if (outcome === 'hang') return new Promise<void>(() => undefined)
      return Promise.resolve()
    },
    flush: () => {
      state.flushes++
      return Promise.resolve()
    },
  }
  const runner = createSinkRunner({
    name: 'test',
    sink,
    policy,
    deadLetters: {
      path: '/tmp/dead.jsonl',
      write: (letter) => {
        letters.push(letter)
        return Promise.resolve()
      },
    },
    metrics: createSinkMetrics(registry),
    clock,
    logger: pino({ level: 'silent' }),
    recentKeys: 100,
    random: () => 0.5,
  })
  return {
    clock,
    calls,
    letters,
    get flushes() {
      return state.flushes
    },
    runner,
    async metric(name, labels = {}) {
      const metric = await registry.getSingleMetric(name)?.get()
      const values = metric?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      return (values ?? []).reduce((sum, v) => sum + v.value, 0)
    },
  }
}

async function run<T>(h: Harness, work: Promise<T>): Promise<T> {
  await h.clock.runAll()
  return work
}

describe('processors > sinks > runner', () => {
  it('delivers a transition once, with its dedupe key as the idempotency key', async () => {
    const h = harness(['ok'])
    const event = alertEvent()
    expect(await run(h, h.runner.deliver(event, { topic: 't', partition: 0, offset: 1 }))).toBe('delivered')
    expect(h.calls).toHaveLength(1)
    expect(h.calls[0]?.ctx).toMatchObject({
      attempt: 1,
      idempotencyKey: `${event.alertId}/raised/${event.eventTsMs}`,
    })
    expect(await h.metric('pulsewire_sink_delivered_total')).toBe(1)
  })

  it('retries retriable failures with exponential backoff and jitter, then delivers', async () => {
    const h = harness(['retriable', 'retriable', 'ok'])
    expect(await run(h, h.runner.deliver(alertEvent(), { topic: 't', partition: 0, offset: 1 }))).toBe(
      'delivered',
    )
    expect(h.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3])
    // Full jitter with random() = 0.5: 3/4 of 100 ms, then 3/4 of 200 ms (the 10 s values are attempt timeouts).
    expect(h.clock.sleeps.filter((ms) => ms !== POLICY.timeoutMs)).toEqual([75, 150])
    expect(await h.metric('pulsewire_sink_retries_total')).toBe(2)
    expect(await h.metric('pulsewire_sink_failed_attempts_total', { reason: 'retriable' })).toBe(2)
    expect(h.letters).toEqual([])
  })

  it('aborts an attempt that outlives its timeout and tries again', async () => {
    const h = harness(['hang', 'ok'])
    expect(await run(h, h.runner.deliver(alertEvent(), { topic: 't', partition: 0, offset: 1 }))).toBe(
      'delivered',
    )
    expect(h.calls).toHaveLength(2)
    expect(h.calls[0]?.ctx.signal.aborted).toBe(true)
    expect((h.calls[0]?.ctx.signal.reason as PipelineError).code).toBe('SINK_DELIVERY_TIMEOUT')
    expect(await h.metric('pulsewire_sink_failed_attempts_total', { reason: 'timeout' })).toBe(1)
  })

  it('dead-letters after N failed attempts, with the error and the attempt count', async () => {
    const h = harness(['retriable', 'retriable', 'retriable', 'retriable', 'ok'])
    const source = { topic: 'alerts.events.v1', partition: 2, offset: 41 }
    expect(await run(h, h.runner.deliver(alertEvent(), source))).toBe('dead-lettered')
    expect(h.calls).toHaveLength(POLICY.attempts)
    expect(h.letters).toHaveLength(1)
    expect(h.letters[0]).toMatchObject({
      attempts: 4,
      source,
      error: { code: 'SINK_DELIVERY_FAILED', message: '503 from receiver' },
    })
    expect(await h.metric('pulsewire_sink_dead_lettered_total', { reason: 'exhausted' })).toBe(1)
  })

  it('dead-letters a permanent failure after one attempt', async () => {
    const h = harness(['permanent'])
    expect(await run(h, h.runner.deliver(alertEvent(), { topic: 't', partition: 0, offset: 1 }))).toBe(
      'dead-lettered',
    )
    expect(h.calls).toHaveLength(1)
    expect(h.letters[0]).toMatchObject({ attempts: 1, error: { code: 'SINK_DELIVERY_REJECTED' } })
    expect(await h.metric('pulsewire_sink_retries_total')).toBe(0)
    expect(await h.metric('pulsewire_sink_dead_lettered_total', { reason: 'permanent' })).toBe(1)
  })

  it('skips a transition seen recently (alertId + transition + event time), delivers the next transition', async () => {
    const h = harness([])
    const raised = alertEvent()
    const cleared = alertEvent({ transition: 'cleared', eventTsMs: raised.eventTsMs + 30_000 })
    const records = [
      alertRecord(raised, 1),
      alertRecord(raised, 2),
      alertRecord(cleared, 3),
      alertRecord(raised, 4),
    ]
    await run(h, h.runner.handle(records))
    expect(h.calls.map((c) => c.event.transition)).toEqual(['raised', 'cleared'])
    expect(await h.metric('pulsewire_sink_duplicates_skipped_total')).toBe(2)
    expect(await h.metric('pulsewire_sink_consumer_position', { partition: '0' })).toBe(5)
    expect(h.flushes).toBe(1)
  })

  it('counts and skips a record that is not an AlertEvent, and goes on', async () => {
    const h = harness([])
    const bad = { ...alertRecord(alertEvent(), 1), value: Buffer.from([0x0a, 0xff, 0xff]) }
    await run(h, h.runner.handle([bad, alertRecord(alertEvent({ episode: 4 }), 2)]))
    expect(h.calls).toHaveLength(1)
    expect(await h.metric('pulsewire_sink_undecodable_records_total')).toBe(1)
  })

  it('on stop, gives up the batch without dead-lettering it (it is redelivered after a restart)', async () => {
    const h = harness(['retriable', 'retriable'])
    const handled = h.runner.handle([alertRecord(alertEvent(), 1)])
    await new Promise((resolve) => setImmediate(resolve))
    h.runner.stop()
    await expect(handled).rejects.toBeInstanceOf(RunnerStoppedError)
    expect(h.letters).toEqual([])
    expect(h.flushes).toBe(0)
  })

  it('reports failing deliveries as not ready until one succeeds', async () => {
    const h = harness(['retriable', 'ok'])
    const delivery = h.runner.deliver(alertEvent(), { topic: 't', partition: 0, offset: 1 })
    await new Promise((resolve) => setImmediate(resolve))
    expect(h.runner.health()).toMatch(/503 from receiver/)
    await run(h, delivery)
    expect(h.runner.health()).toBeUndefined()
  })
})
