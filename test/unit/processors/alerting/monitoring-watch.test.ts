import { describe, expect, it } from 'vitest'
import {
  createMonitoringWatch,
  isMonitoringSubject,
  monitoringSubject,
} from '../../../../processors/alerting/monitoring-watch.js'
import { FakeClock } from '../../../helpers/fake-clock.js'

describe('processors > alerting > monitoring watch', () => {
  it('raises one alarm however many partitions stall, holds it without repeats, clears when data flows', () => {
    const clock = new FakeClock()
    const watch = createMonitoringWatch({ clock, priority: 'high' })
    const subject = monitoringSubject('pulsewire-alerting', 0)
    watch.reset(subject, new Map())
    expect(watch.check([], 36, [], 10_000)).toEqual([])
    const raised = watch.check(['a/0', 'a/1', 'b/0'], 36, ['ward3'], 10_000)
    expect(raised).toHaveLength(1)
    expect(raised[0]).toMatchObject({
      alertId: `${subject}/monitoring-unavailable/1`,
      deviceId: subject,
      transition: 'raised',
      priority: 'high',
      kind: 'technical',
      latching: false,
      value: 3,
      limit: 36,
    })
    expect(raised[0]?.message).toContain('3 of 36 partitions (sites ward3)')
    // More partitions stalling, or the same again: the one episode, no new transition.
    expect(watch.check(['a/0', 'a/1', 'b/0', 'b/1'], 36, ['ward3'], 10_000)).toEqual([])
    expect(watch.check(['a/0', 'a/1', 'b/0', 'b/1'], 36, ['ward3'], 10_000)).toEqual([])
    const cleared = watch.check([], 36, [], 10_000)
    expect(cleared.map((e) => [e.alertId, e.transition])).toEqual([
      [`${subject}/monitoring-unavailable/1`, 'cleared'],
    ])
    expect(watch.check([], 36, [], 10_000)).toEqual([])
    expect(watch.check(['a/0'], 36, [], 10_000).map((e) => e.alertId)).toEqual([
      `${subject}/monitoring-unavailable/2`,
    ])
  })

  it('keeps its episode across a restart, and ends an alarm of partitions handed to another instance', () => {
    const clock = new FakeClock()
    const first = createMonitoringWatch({ clock, priority: 'high' })
    const p0 = monitoringSubject('g', 0)
    first.reset(p0, new Map())
    first.check(['a/0'], 12, [], 10_000)
    const stored = new Map(first.takeDirty().map((d) => [d.subject, d.record]))
    expect([...stored.keys()]).toEqual([p0])

    // Restarted, same assignment, still stalled: the same episode goes on, nothing re-raised.
    const again = createMonitoringWatch({ clock, priority: 'high' })
    again.reset(p0, stored)
    expect(again.check(['a/0'], 12, [], 10_000)).toEqual([])
    expect(again.check([], 12, [], 10_000).map((e) => e.alertId)).toEqual([`${p0}/monitoring-unavailable/1`])

    // A rebalance gave this instance partitions from 3 on: the p0 alarm ends; p3 speaks now.
    const moved = createMonitoringWatch({ clock, priority: 'high' })
    moved.reset(monitoringSubject('g', 3), stored)
    const events = moved.check(['a/3'], 6, [], 10_000)
    expect(events.map((e) => [e.alertId, e.transition])).toEqual([
      [`${p0}/monitoring-unavailable/1`, 'cleared'],
      [`${monitoringSubject('g', 3)}/monitoring-unavailable/1`, 'raised'],
    ])
    expect(moved.check(['a/3'], 6, [], 10_000)).toEqual([]) // the orphan is gone
  })

  it('uses subject ids no device can have', () => {
    expect(isMonitoringSubject(monitoringSubject('g', 0))).toBe(true)
    expect(isMonitoringSubject('bm-0001')).toBe(false)
    expect(/^[A-Za-z0-9._-]{1,64}$/.test(monitoringSubject('g', 0))).toBe(false)
  })
})
