import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import {
  againstExpectation,
  duplicateTransitions,
  episodeProblems,
  flaps,
  unclosedEpisodes,
} from '../../helpers/alarm-story.js'
import { alertEvent } from '../../helpers/alert-events.js'

// The checks the clinical end-to-end test uses to say what must not happen: each one must find
// what it is for, or the integration test would pass on a stream it should reject.
const at = (s: number) => Date.UTC(2026, 0, 1) + s * 1000
const ev = (ruleId: string, transition: AlertEvent['transition'], episode: number, s: number) =>
  alertEvent({ deviceId: 'bm-1', ruleId, transition, episode, eventTsMs: at(s) })

describe('test helpers > alarm story checks', () => {
  const clean = [
    ev('spo2-low', 'raised', 1, 0),
    ev('spo2-low', 'updated', 1, 5),
    ev('spo2-low', 'cleared', 1, 10),
  ]

  it('finds nothing in a clean story', () => {
    expect(againstExpectation(clean, { required: ['spo2-low:raised', 'spo2-low:cleared'] })).toEqual({
      unwanted: [],
      missing: [],
    })
    expect(duplicateTransitions(clean)).toEqual([])
    expect(flaps(clean)).toEqual([])
    expect(episodeProblems(clean)).toEqual([])
    expect(unclosedEpisodes(clean, () => false)).toEqual([])
  })

  it('lists rules the expectation does not name, and required transitions that never came', () => {
    const story = [...clean, ev('hr-high', 'raised', 1, 3)]
    const found = againstExpectation(story, { required: ['spo2-low:raised', 'spo2-low:escalated'] })
    expect(found.unwanted).toEqual([expect.stringContaining('bm-1 hr-high#1 raised')])
    expect(found.missing).toEqual(['spo2-low:escalated'])
  })

  it('finds a transition emitted twice, a flap, gaps and an updated without its raised', () => {
    expect(duplicateTransitions([...clean, ev('spo2-low', 'cleared', 1, 11)])).toHaveLength(1)
    expect(flaps([...clean, ev('spo2-low', 'raised', 2, 40)])).toHaveLength(1)
    expect(flaps([...clean, ev('spo2-low', 'raised', 2, 75)])).toEqual([])
    expect(episodeProblems([...clean, ev('spo2-low', 'raised', 3, 80)])).toEqual([
      expect.stringContaining('episode 2 expected'),
    ])
    expect(episodeProblems([ev('spo2-low', 'updated', 1, 0)])).toEqual([
      expect.stringContaining('no raised of episode 1'),
    ])
    expect(episodeProblems([...clean, ev('spo2-low', 'updated', 1, 12)])).toEqual([
      expect.stringContaining('after episode 1 ended'),
    ])
    expect(unclosedEpisodes([ev('spo2-low', 'raised', 1, 0)], () => false)).toHaveLength(1)
    expect(unclosedEpisodes([ev('spo2-low', 'raised', 1, 0)], (e) => e.ruleId === 'spo2-low')).toEqual([])
  })
})
