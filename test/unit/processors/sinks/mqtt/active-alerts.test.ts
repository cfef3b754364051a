import { describe, expect, it } from 'vitest'
import { ActiveAlerts } from '../../../../../processors/sinks/mqtt/active-alerts.js'
import { alertEvent } from '../../../../helpers/alert-events.js'

describe('processors > sinks > mqtt active alerts', () => {
  it('keeps open alerts per device, most urgent first, and drops cleared and reset ones', () => {
    const state = new ActiveAlerts()
    const spo2 = alertEvent({ ruleId: 'spo2-low', episode: 1 })
    const hr = alertEvent({
      ruleId: 'hr-high',
      episode: 2,
      priority: 'high',
      eventTsMs: spo2.eventTsMs + 1_000,
    })
    state.apply(spo2)
    state.apply(hr)
    state.apply(alertEvent({ deviceId: 'bm-0002', episode: 1 }))
    const view = state.stateOf(hr)
    expect(view.active.map((a) => a.ruleId)).toEqual(['hr-high', 'spo2-low'])
    expect(view.highestPriority).toBe('high')
    expect(view.latest.alertId).toBe(hr.alertId)

    const cleared = alertEvent({ ruleId: 'hr-high', episode: 2, transition: 'cleared' })
    state.apply(cleared)
    expect(state.stateOf(cleared).active.map((a) => a.ruleId)).toEqual(['spo2-low'])
    state.apply(alertEvent({ ruleId: 'spo2-low', episode: 1, transition: 'reset', actor: 'nurse-1' }))
    expect(state.activeOf('bm-0001')).toEqual([])
    expect(state.activeOf('bm-0002')).toHaveLength(1)
  })

  it('tracks acknowledgement until an escalation, and is unchanged by a redelivery', () => {
    const state = new ActiveAlerts()
    state.apply(alertEvent())
    state.apply(alertEvent({ transition: 'acknowledged', actor: 'nurse-1' }))
    state.apply(alertEvent({ transition: 'updated' }))
    expect(state.activeOf('bm-0001')[0]?.acknowledged).toBe(true)
    state.apply(alertEvent({ transition: 'escalated', priority: 'high' }))
    expect(state.activeOf('bm-0001')[0]).toMatchObject({ acknowledged: false, priority: 'high' })
    const before = state.activeOf('bm-0001')
    state.apply(alertEvent({ transition: 'escalated', priority: 'high' }))
    expect(state.activeOf('bm-0001')).toEqual(before)
  })

  it('never re-opens a closed episode when an older transition is redelivered', () => {
    const state = new ActiveAlerts()
    state.apply(alertEvent({ episode: 3 }))
    state.apply(alertEvent({ episode: 3, transition: 'cleared' }))
    state.apply(alertEvent({ episode: 3 })) // late duplicate of "raised"
    expect(state.activeOf('bm-0001')).toEqual([])
    state.apply(alertEvent({ episode: 4 }))
    expect(state.activeOf('bm-0001').map((a) => a.episode)).toEqual([4])
  })
})
