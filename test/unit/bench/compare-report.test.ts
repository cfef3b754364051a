import { describe, expect, it } from 'vitest'
import {
  highestWithinSlo,
  renderComparison,
  summarise,
  type RunSummary,
} from '../../../bench/compare-report.js'

const run = (target: string, rate: number, zeroLoss: boolean, lost = zeroLoss ? 0 : 12): RunSummary => ({
  ...summarise(target, rate, undefined),
  zeroLoss,
  lostReadings: lost,
  pubackP99Ms: 40,
  influxP99Ms: 600,
  alertP99Ms: target === 'pulsewire' ? 200 : null,
})

describe('unit > bench > comparison report', () => {
  it('takes the highest rate within the SLO with zero loss, even above a failing rate, and none when every rate failed', () => {
    const best = highestWithinSlo([
      run('pulsewire', 500, true),
      run('peer', 500, true),
      run('pulsewire', 1000, false),
      run('peer', 1000, false),
      run('pulsewire', 2000, true),
      run('peer', 2000, false),
      run('other', 500, false),
      { ...run('peer', 4000, true), faults: ['bridge@20'] }, // fault runs are not the headline
    ])
    expect(best).toEqual({ pulsewire: 2000, peer: 500, other: null })
  })

  it('a run with nothing lost but late counts as failed: PUBACK, visible or alert p99 over the SLO, or not measured', () => {
    const best = highestWithinSlo([
      run('pulsewire', 500, true),
      { ...run('pulsewire', 1000, true), pubackP99Ms: 101 },
      { ...run('pulsewire', 1500, true), influxP99Ms: 1001 },
      { ...run('pulsewire', 2000, true), alertP99Ms: 251 },
      { ...run('pulsewire', 3000, true), influxP99Ms: null },
      run('peer', 500, true), // no alerting: the alert limit does not apply
      { ...run('peer', 1000, true), pubackP99Ms: 5_000 },
    ])
    expect(best).toEqual({ pulsewire: 500, peer: 500 })
  })

  it('renders one table row per run, a failed run as such, and the headline per target', () => {
    const text = renderComparison({
      command: 'node dist/bench/compare.js',
      machine: '2 cores',
      resultFile: 'bench/results/compare-x.json',
      summaries: [
        run('pulsewire', 500, true),
        { ...run('peer', 500, false), error: 'boom' },
        { ...run('peer', 1000, false, 468), faults: ['mosquitto@10', 'bridge@20'] },
      ],
    })
    const rows = text.split('\n').filter((l) => l.startsWith('| pulsewire') || l.startsWith('| peer'))
    expect(rows).toHaveLength(3)
    expect(rows[1]).toContain('run failed')
    expect(rows[2]).toMatch(/^\| peer, killed mosquitto@10 bridge@20 \| 1,000 \|.*\| 468 \|/)
    expect(text).toContain('**pulsewire**: highest rate within the latency SLO, 0 lost: **500 msg/s**')
    expect(text).toContain(
      '**peer**: highest rate within the latency SLO, 0 lost: **none of the rates tried**',
    )
  })
})

describe('unit > bench > comparison report heading', () => {
  it('names the peers in the run', () => {
    const render = (targets: string[]): string =>
      renderComparison({
        command: 'node dist/bench/compare.js',
        machine: '2 cores',
        resultFile: 'bench/results/compare-x.json',
        summaries: targets.map((t) => run(t, 500, true)),
      }).split('\n')[0]!
    expect(render(['pulsewire', 'peer'])).toBe(
      '## Pulsewire vs. Mosquitto + naive bridge (same load generator, same reconciliation)',
    )
    expect(render(['pulsewire', 'peer', 'telegraf'])).toBe(
      '## Pulsewire vs. Mosquitto + naive bridge and Mosquitto + Telegraf (same load generator, same reconciliation)',
    )
  })
})
