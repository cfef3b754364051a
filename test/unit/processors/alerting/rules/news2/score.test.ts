import { describe, expect, it } from 'vitest'
import {
  news2Band,
  scorePulse,
  scoreRespiration,
  scoreSpo2Scale1,
  scoreSpo2Scale2,
  scoreSystolic,
  scoreTemperature,
} from '../../../../../../processors/alerting/rules/news2/score.js'

/** [value, expected score] at every band edge of the domain.md §1.5 table. */
const cases = {
  respiration: [
    [8, 3],
    [9, 1],
    [11, 1],
    [12, 0],
    [20, 0],
    [21, 2],
    [24, 2],
    [25, 3],
  ],
  spo2Scale1: [
    [91, 3],
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
  ],
  systolic: [
    [90, 3],
    [91, 2],
    [100, 2],
    [101, 1],
    [110, 1],
    [111, 0],
    [219, 0],
    [220, 3],
  ],
  pulse: [
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
  ],
  temperature: [
    [35, 3],
    [35.1, 1],
    [36, 1],
    [36.1, 0],
    [38, 0],
    [38.1, 1],
    [39, 1],
    [39.1, 2],
  ],
} as const

describe('processors > alerting > rules > news2 > score', () => {
  it.each(cases.respiration)('respiration rate %d scores %d', (v, s) => expect(scoreRespiration(v)).toBe(s))
  it.each(cases.spo2Scale1)('SpO2 (scale 1) %d scores %d', (v, s) => expect(scoreSpo2Scale1(v)).toBe(s))
  it.each(cases.systolic)('systolic %d scores %d', (v, s) => expect(scoreSystolic(v)).toBe(s))
  it.each(cases.pulse)('pulse %d scores %d', (v, s) => expect(scorePulse(v)).toBe(s))
  it.each(cases.temperature)('temperature %d scores %d', (v, s) => expect(scoreTemperature(v)).toBe(s))

  it('scores SpO2 scale 2 high values only on oxygen', () => {
    const onAir = [83, 84, 85, 86, 87, 88, 92, 93, 97].map((v) => scoreSpo2Scale2(v, false))
    expect(onAir).toEqual([3, 2, 2, 1, 1, 0, 0, 0, 0])
    const onO2 = [92, 93, 94, 95, 96, 97].map((v) => scoreSpo2Scale2(v, true))
    expect(onO2).toEqual([0, 1, 1, 2, 2, 3])
  })

  it('maps aggregates to the trigger bands', () => {
    expect([
      news2Band(4, false),
      news2Band(3, true),
      news2Band(5, true),
      news2Band(6, false),
      news2Band(7, false),
    ]).toEqual(['low', 'single', 'medium', 'medium', 'high'])
  })
})
