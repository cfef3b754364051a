import { describe, expect, it } from 'vitest'
import { formatStep, formatVerdict } from '../../../../../bench/loadtest/capacity/format.js'
import { cpuShares } from '../../../../../bench/loadtest/capacity/measure.js'
import type { StepResult } from '../../../../../bench/loadtest/capacity/search.js'

const usage = (name: string, usPerMessage: number) => ({
  name,
  pids: [1],
  restarts: 0,
  cpuPercent: 1,
  cpuSeconds: 1,
  usPerMessage,
  rssPeakMb: 50,
  rssEndMb: 50,
})

describe('capacity report lines', () => {
  it("splits CPU into Pulsewire's own share, the servers' and the generator's", () => {
    const cpu = cpuShares(
      ['gateway', 'storage', 'alerting', 'kafka', 'influxdb', 'loadgen'].map((n, i) =>
        usage(n, (i + 1) * 10),
      ),
    )
    expect(cpu).toMatchObject({ pulsewire: 60, servers: 90, generator: 60, total: 210 })
  })

  it('prints a verdict and a line per check; a warm-up is never a verdict', () => {
    const step: StepResult = {
      phase: 'warm-up',
      ratePerSec: 500,
      measure: {} as StepResult['measure'],
      checks: [{ name: 'puback', detail: 'p99 342 ms ≤ 100 ms', pass: false }],
      pass: false,
    }
    expect(formatStep(0, step, 10)).toEqual([
      'step 1 warm-up 500 msg/s × 10 readings: warm-up (not judged)',
      '  FAIL  puback          p99 342 ms ≤ 100 ms',
    ])
    expect(formatStep(1, { ...step, phase: 'ladder', pass: true }, 10)[0]).toMatch(/: PASS$/)
  })

  it('states the capacity in messages and readings, or that there is none', () => {
    expect(
      formatVerdict({ sustainedRate: 6_000, firstFailingRate: 6_500, stoppedBecause: 'resolution' }, 10),
    ).toBe('sustained capacity: 6,000 msg/s × 10 = 60,000 readings/s under the SLO; 6,500 msg/s failed')
    expect(
      formatVerdict({ sustainedRate: null, firstFailingRate: 1_000, stoppedBecause: 'first-step-failed' }, 5),
    ).toMatch(/none — the first judged step \(1,000 msg\/s\) failed/)
  })
})
