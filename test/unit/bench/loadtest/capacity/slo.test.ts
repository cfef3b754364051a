import { describe, expect, it } from 'vitest'
import { judgeStep, stepPasses, type StepMeasure } from '../../../../../bench/loadtest/capacity/slo.js'

const good: StepMeasure = {
  ratePerSec: 2_000,
  steadySeconds: 60,
  scheduled: 120_000,
  acknowledged: 120_000,
  pubackP99Ms: 40,
  influxVisibleP99Ms: 600,
  alertP99Ms: 120,
  alerting: true,
  lagRecords: { storage: 300, alerting: 10 },
  lost: 0,
  loadAlarms: {},
  generatorLagP99Ms: 4,
}

const failing = (m: Partial<StepMeasure>): string[] =>
  judgeStep({ ...good, ...m })
    .filter((c) => !c.pass)
    .map((c) => c.name)

describe('judgeStep', () => {
  it('passes a step that meets every SLO, and says so per check', () => {
    const checks = judgeStep(good)
    expect(stepPasses(checks)).toBe(true)
    expect(checks.map((c) => c.name)).toEqual([
      'acknowledged',
      'puback',
      'influx-visible',
      'alert-emitted',
      'consumer-lag',
      'lost',
      'load-alarms',
      'generator',
    ])
  })

  it('fails each SLO on its own', () => {
    expect(failing({ acknowledged: 119_800 })).toEqual(['acknowledged'])
    expect(failing({ pubackP99Ms: 100.5 })).toEqual(['puback'])
    expect(failing({ influxVisibleP99Ms: 1_200 })).toEqual(['influx-visible'])
    expect(failing({ alertP99Ms: 251 })).toEqual(['alert-emitted'])
    expect(failing({ lagRecords: { storage: 2_001 } })).toEqual(['consumer-lag'])
    expect(failing({ lost: 1 })).toEqual(['lost'])
    expect(failing({ loadAlarms: { 'comm-loss': 3 } })).toEqual(['load-alarms'])
    expect(failing({ generatorLagP99Ms: 80 })).toEqual(['generator'])
  })

  it('never passes what it could not measure', () => {
    expect(
      failing({ pubackP99Ms: null, alertP99Ms: null, lagRecords: null, generatorLagP99Ms: null }),
    ).toEqual(['puback', 'alert-emitted', 'consumer-lag', 'generator'])
    expect(failing({ scheduled: 0, acknowledged: 0 })).toEqual(['acknowledged'])
  })

  it('does not ask a target without alerting for alert latency', () => {
    const checks = judgeStep({ ...good, alerting: false, alertP99Ms: null })
    expect(checks.find((c) => c.name === 'alert-emitted')).toMatchObject({
      pass: true,
      detail: expect.stringMatching(/^n\/a/) as string,
    })
  })

  it('ignores rules with zero load alarms', () => {
    expect(failing({ loadAlarms: { 'comm-loss': 0 } })).toEqual([])
  })
})
