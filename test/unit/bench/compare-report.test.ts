import { describe, expect, it } from 'vitest'
import {
  highestZeroLoss,
  renderComparison,
  summarise,
  type RunSummary,
} from '../../../bench/compare-report.js'

const run = (target: string, rate: number, zeroLoss: boolean, lost = zeroLoss ? 0 : 12): RunSummary => ({
  ...summarise(target, rate, undefined),
  zeroLoss,
  lostReadings: lost,
})

describe('unit > bench > comparison report', () => {
  it('takes the highest rate with zero loss, even above a lossy rate, and none when every rate lost', () => {
    const best = highestZeroLoss([
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
    expect(text).toContain('**pulsewire**: highest offered rate with zero loss: **500 msg/s**')
    expect(text).toContain('**peer**: highest offered rate with zero loss: **none of the rates tried**')
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
