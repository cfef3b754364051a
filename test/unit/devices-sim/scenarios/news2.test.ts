import { describe, expect, it } from 'vitest'
import { news2, news2Scores } from '../../../../devices-sim/scenarios/news2.js'

const healthy = { respirationRate: 16, spo2: 97, systolic: 124, heartRate: 82, temperature: 37.2 }

describe('devices-sim > scenarios > news2', () => {
  it('scores a healthy adult 0 (low)', () => {
    expect(news2(healthy)).toEqual({ total: 0, band: 'low' })
  })

  it('scores the end of the §7 sepsis course as high', () => {
    const septic = { respirationRate: 26, spo2: 93, systolic: 88, heartRate: 124, temperature: 39.3 }
    expect(news2Scores(septic)).toEqual([3, 2, 3, 2, 2])
    expect(news2(septic)).toEqual({ total: 12, band: 'high' })
  })

  it('uses the band edges of the RCP chart', () => {
    expect(news2Scores({ ...healthy, respirationRate: 8 })[0]).toBe(3)
    expect(news2Scores({ ...healthy, respirationRate: 21 })[0]).toBe(2)
    expect(news2Scores({ ...healthy, spo2: 94 })[1]).toBe(1)
    expect(news2Scores({ ...healthy, systolic: 220 })[2]).toBe(3)
    expect(news2Scores({ ...healthy, heartRate: 91 })[3]).toBe(1)
    expect(news2Scores({ ...healthy, temperature: 38.04 })[4]).toBe(0)
    expect(news2Scores({ ...healthy, temperature: 39.1 })[4]).toBe(2)
  })

  it('a single 3 is low-medium; 5–6 medium', () => {
    expect(news2({ ...healthy, respirationRate: 7 }).band).toBe('low-medium')
    expect(news2({ ...healthy, respirationRate: 22, heartRate: 115, spo2: 95 })).toEqual({
      total: 5,
      band: 'medium',
    })
  })
})
