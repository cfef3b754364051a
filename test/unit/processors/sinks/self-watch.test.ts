import { describe, expect, it } from 'vitest'
import { parseAlertId } from '../../../../core/alerts/alert-event.js'
import { filterAccepts } from '../../../../processors/sinks/filter.js'
import { createSelfWatch, type PersistedAlarms } from '../../../../processors/sinks/self-watch.js'
import { watchEvent } from '../../../../processors/sinks/self-watch-service.js'
import { alertEvent } from '../../../helpers/alert-events.js'
import { FakeClock } from '../../../helpers/fake-clock.js'

const CONFIG = { failingForMs: 30_000, deadLetters: 3, stalledForMs: 60_000 }

function setup(restored?: PersistedAlarms) {
  const clock = new FakeClock()
  const watch = createSelfWatch(CONFIG, ['console', 'pager'], clock)
  if (restored) watch.restore(restored)
  const step = async (ms: number) => {
    await clock.advance(ms)
    return watch.evaluate().map((t) => `${t.transition} ${t.sink}/${t.condition}#${t.episode}`)
  }
  return { clock, watch, step, pager: watch.signals('pager'), console: watch.signals('console') }
}

describe('processors > sinks > self-watch', () => {
  it('raises once after failingForMs of failed attempts, and clears on the next delivery', async () => {
    const { watch, step, pager } = setup()
    pager.attemptFailed('connect ECONNREFUSED')
    expect(await step(29_000)).toEqual([])
    pager.attemptFailed('connect ECONNREFUSED')
    expect(await step(1_000)).toEqual(['raised pager/failing#1'])
    expect(watch.alarmed('pager')).toBe(true)
    expect(watch.alarmed('console')).toBe(false)
    // Still dead: no second raise, however many attempts fail.
    for (let i = 0; i < 10; i++) {
      pager.attemptFailed('connect ECONNREFUSED')
      expect(await step(10_000)).toEqual([])
    }
    pager.delivered()
    expect(await step(1_000)).toEqual(['cleared pager/failing#1'])
    expect(await step(60_000)).toEqual([])
    // The next failure is a new episode.
    pager.attemptFailed('503')
    expect(await step(30_000)).toEqual(['raised pager/failing#2'])
  })

  it('a delivery within the window resets it: intermittent failures raise nothing', async () => {
    const { step, pager } = setup()
    for (let i = 0; i < 10; i++) {
      pager.attemptFailed('503')
      expect(await step(20_000)).toEqual([])
      pager.delivered()
    }
  })

  it('raises at once on deadLetters transitions dead-lettered in a row (a 4xx sink)', async () => {
    const { step, pager } = setup()
    pager.deadLettered()
    pager.deadLettered()
    expect(await step(100)).toEqual([])
    pager.deadLettered()
    expect(await step(100)).toEqual(['raised pager/failing#1'])
  })

  it('events waiting with no progress for stalledForMs: stalled; clears once the sink delivers again', async () => {
    const { step, pager } = setup()
    pager.waiting(3)
    expect(await step(59_000)).toEqual([])
    expect(await step(1_000)).toEqual(['raised pager/stalled#1'])
    expect(await step(60_000)).toEqual([])
    pager.delivered()
    pager.done()
    // Moving again but still behind: the one episode stays open until it has caught up.
    expect(await step(1_000)).toEqual([])
    pager.delivered()
    pager.done()
    pager.delivered()
    pager.done()
    expect(await step(1_000)).toEqual(['cleared pager/stalled#1'])
  })

  it('a sink slower than the window per event raises one episode for the backlog, not one per event', async () => {
    const { step, pager } = setup()
    pager.waiting(5)
    const seen: string[] = []
    for (let i = 0; i < 5; i++) {
      seen.push(...(await step(70_000)))
      pager.delivered()
      pager.done()
    }
    seen.push(...(await step(1_000)))
    expect(seen).toEqual(['raised pager/stalled#1', 'cleared pager/stalled#1'])
  })

  it('an idle sink (nothing waiting) is never stalled, and progress keeps it from stalling', async () => {
    const { step, console } = setup()
    expect(await step(600_000)).toEqual([])
    console.waiting(20)
    for (let i = 0; i < 20; i++) {
      expect(await step(50_000)).toEqual([])
      console.delivered()
      console.done()
    }
  })

  it('a sink alarmed as failing is not also announced as stalled', async () => {
    const { step, pager } = setup()
    pager.waiting(1)
    pager.attemptFailed('timeout')
    expect(await step(30_000)).toEqual(['raised pager/failing#1'])
    expect(await step(60_000)).toEqual([])
  })

  it('after a restart an open alarm stays open (same episode, no second raise) until the sink delivers', async () => {
    const restored: PersistedAlarms = {
      'pager/failing': { episode: 4, active: true, raisedAtMs: 1, notified: ['console'] },
      'console/stalled': { episode: 2, active: false, raisedAtMs: 1, notified: ['pager'] },
    }
    const { watch, step, pager, console } = setup(restored)
    expect(watch.alarmed('pager')).toBe(true)
    expect(await step(120_000)).toEqual([])
    pager.delivered()
    expect(await step(1_000)).toEqual(['cleared pager/failing#4'])
    expect(watch.alarms()['pager/failing']?.notified).toEqual(['console'])
    console.waiting(1)
    expect(await step(60_000)).toEqual(['raised console/stalled#3'])
  })

  it('the alarm is technical, with an id alerting can never produce', () => {
    const { clock } = setup()
    const event = watchEvent(
      {
        sink: 'pager',
        condition: 'failing',
        transition: 'raised',
        episode: 3,
        atMs: clock.now(),
        value: 31,
        limit: 30,
        message: 'm',
      },
      'high',
      clock.now(),
    )
    expect(event).toMatchObject({ kind: 'technical', priority: 'high', transition: 'raised', episode: 3 })
    expect(event.alertId).toBe('pulsewire-sinks/sink-failing.pager/3')
    // alerting's rule ids are [a-z0-9-]: the '.' keeps the two id spaces apart.
    expect(parseAlertId(event.alertId)?.ruleId).toMatch(/\./)
  })
})

describe('processors > sinks > filter', () => {
  it('ANDs the lists it has; no filter takes everything', () => {
    const escalatedHigh = alertEvent({ transition: 'escalated', priority: 'high' })
    expect(filterAccepts(undefined, escalatedHigh)).toBe(true)
    expect(filterAccepts({ transitions: ['escalated'] }, escalatedHigh)).toBe(true)
    expect(filterAccepts({ transitions: ['escalated'] }, alertEvent({ transition: 'raised' }))).toBe(false)
    expect(filterAccepts({ transitions: ['escalated'], priorities: ['medium'] }, escalatedHigh)).toBe(false)
    expect(filterAccepts({ kinds: ['technical'] }, escalatedHigh)).toBe(false)
    expect(filterAccepts({ ruleTypes: ['threshold'] }, escalatedHigh)).toBe(
      escalatedHigh.ruleType === 'threshold',
    )
  })
})
