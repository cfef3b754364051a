import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../../core/alerts/alert-event.js'
import { ConfigError } from '../../../../core/errors.js'
import { systemClock } from '../../../../core/clock.js'
import { parseSinksConfig } from '../../../../processors/sinks/config.js'
import type { DeadLetter } from '../../../../processors/sinks/dead-letters.js'
import { createSinkMetrics } from '../../../../processors/sinks/metrics.js'
import { createSinkRunner } from '../../../../processors/sinks/runner.js'
import { createSelfWatch } from '../../../../processors/sinks/self-watch.js'
import { retriableFailure } from '../../../../processors/sinks/sink.js'
import { alertEvent, alertRecord } from '../../../helpers/alert-events.js'
import { FakeClock } from '../../../helpers/fake-clock.js'

const POLICY = { attempts: 2, timeoutMs: 10_000, initialDelayMs: 100, maxDelayMs: 100 }

function setup(fail: boolean, filter?: Parameters<typeof createSinkRunner>[0]['filter']) {
  const clock = new FakeClock()
  const registry = new Registry()
  const delivered: AlertEvent[] = []
  const letters: DeadLetter[] = []
  const watch = createSelfWatch({ failingForMs: 30_000, deadLetters: 1, stalledForMs: 60_000 }, ['s'], clock)
  const runner = createSinkRunner({
    name: 's',
    sink: {
      deliver: (event) => {
        if (fail) return Promise.reject(retriableFailure('503'))
        delivered.push(event)
        return Promise.resolve()
      },
    },
    policy: POLICY,
    deadLetters: { path: '/tmp/x', write: (l) => Promise.resolve(void letters.push(l)) },
    metrics: createSinkMetrics(registry),
    clock,
    logger: pino({ level: 'silent' }),
    recentKeys: 100,
    random: () => 0.5,
    filter,
    signals: watch.signals('s'),
  })
  const metric = async (name: string) =>
    ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0)
  return { clock, runner, delivered, letters, watch, metric }
}

describe('processors > sinks > runner > filter and self-watch signals', () => {
  it('commits past what the filter does not take: counted, never attempted or dead-lettered', async () => {
    const h = setup(true, { transitions: ['escalated'] })
    const t0 = alertEvent().eventTsMs
    const events = (['raised', 'updated', 'cleared'] as const).map((transition, i) =>
      alertEvent({ transition, priority: 'high', eventTsMs: t0 + i }),
    )
    await h.runner.handle(events.map((e, i) => alertRecord(e, i + 1)))
    expect(h.letters).toEqual([])
    expect(await h.metric('pulsewire_sink_filtered_total')).toBe(3)
    expect(await h.metric('pulsewire_sink_consumer_position')).toBe(4)
    expect(await h.metric('pulsewire_sink_failed_attempts_total')).toBe(0)
    // Filtered records are progress, not failures: nothing to alarm about.
    await h.clock.advance(120_000)
    expect(h.watch.evaluate()).toEqual([])
  })

  it('delivers only what the filter takes', async () => {
    const h = setup(false, { transitions: ['escalated'], priorities: ['high'] })
    const t0 = alertEvent().eventTsMs
    const events = [
      alertEvent({ transition: 'raised', priority: 'high', eventTsMs: t0 }),
      alertEvent({ transition: 'escalated', priority: 'high', eventTsMs: t0 + 1 }),
      alertEvent({ transition: 'escalated', priority: 'medium', eventTsMs: t0 + 2 }),
    ]
    await h.runner.handle(events.map((e, i) => alertRecord(e, i + 1)))
    expect(h.delivered.map((e) => `${e.transition}/${e.priority}`)).toEqual(['escalated/high'])
  })

  it('tells the watch about failed attempts and dead letters', async () => {
    const h = setup(true)
    const done = h.runner.deliver(alertEvent(), { topic: 't', partition: 0, offset: 1 })
    await h.clock.runAll()
    expect(await done).toBe('dead-lettered')
    expect(h.watch.evaluate().map((t) => `${t.transition} ${t.condition}`)).toEqual(['raised failing'])
  })
})

describe('processors > sinks > config > filter', () => {
  it('rejects unknown filter keys and unknown transitions, with their path', () => {
    const raw = {
      sinks: [{ type: 'console', filter: { transitions: ['escalate'], priority: ['high'] } }],
    }
    const deps = { env: {}, clock: systemClock, logger: () => pino({ level: 'silent' }) }
    let issues: string[] = []
    try {
      parseSinksConfig(raw, 'test', deps)
    } catch (err) {
      if (err instanceof ConfigError) issues = err.issues.map((i) => i.path)
    }
    expect(issues.sort()).toEqual(['sinks.0.filter.priority', 'sinks.0.filter.transitions.0'])
  })
})
