import { describe, expect, it } from 'vitest'
import { renderCapacity } from '../../../bench/capacity-report.js'
import type { CapacityComparison } from '../../../bench/capacity-compare.js'
import type { CapacityReport, CapacityStepRecord } from '../../../bench/loadtest/capacity/run-capacity.js'

const step = (rate: number, pass: boolean, alerting: boolean): CapacityStepRecord =>
  ({
    phase: 'ladder',
    ratePerSec: rate,
    pass,
    checks: pass
      ? [{ name: 'puback', detail: 'p99 20 ms ≤ 100 ms', pass: true }]
      : [{ name: 'puback', detail: 'p99 900 ms ≤ 100 ms', pass: false }],
    measure: { pubackP99Ms: 20, influxVisibleP99Ms: 400, alertP99Ms: 90, alerting },
    cpu: { perProcess: {}, pulsewire: 300, servers: 200, generator: 100, total: 600 },
  }) as unknown as CapacityStepRecord

const report = (sustained: number | null, steps: CapacityStepRecord[]): CapacityReport =>
  ({
    result: { sustainedRate: sustained, firstFailingRate: 8_000, stoppedBecause: 'resolution' },
    steps,
  }) as CapacityReport

describe('renderCapacity', () => {
  it('puts the targets side by side, with the ratio and every step', () => {
    const comparison: CapacityComparison = {
      reports: [
        {
          target: 'pulsewire',
          samples: 10,
          report: report(6_000, [step(6_000, true, true), step(8_000, false, true)]),
        },
        { target: 'peer', samples: 10, report: report(2_000, [step(2_000, true, false)]) },
        { target: 'telegraf', samples: 10, error: 'telegraf missing' },
      ],
    }
    const text = renderCapacity({
      comparison,
      command: 'x',
      machine: 'm',
      resultFile: 'f.json',
      when: '2026-12-03',
    })
    expect(text).toContain(
      '| pulsewire | 10 | 6,000 | 60,000 | 8,000 | 20 ms | 400 ms | 90 ms | 300 / 200 / 100 |',
    )
    expect(text).toContain('| peer | 10 | 2,000 | 20,000 | 8,000 | 20 ms | 400 ms | n/a | 300 / 200 / 100 |')
    expect(text).toContain('| telegraf | 10 | failed: telegraf missing |')
    expect(text).toContain('- 10 readings/msg: Pulsewire 6,000 msg/s against peer 2,000 msg/s (3.00×)')
    expect(text).toContain('| pulsewire | 10 | ladder | 8,000 | FAIL | puback (p99 900 ms ≤ 100 ms) |')
  })
})
