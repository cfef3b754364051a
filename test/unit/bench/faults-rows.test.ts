import { describe, expect, it } from 'vitest'
import { FAULT_ROWS, renderFaults, type RowOutcome } from '../../../bench/faults/rows.js'

const row = (id: string) => {
  const found = FAULT_ROWS.find((r) => r.id === id)
  if (!found) throw new Error(id)
  return found
}

describe('bench > faults > the fault matrix section of RESULTS.md', () => {
  it('names every row of issue #14 once, and the ones without a test say so', () => {
    expect(FAULT_ROWS.map((r) => r.id.split('-')[0])).toEqual([
      'row1',
      'row2',
      'row3',
      'row4',
      'row5',
      'row6',
      'row7',
    ])
    const text = renderFaults(
      FAULT_ROWS.map((r) => ({ row: r })),
      'npm run bench:faults',
      'now',
    )
    expect(text.match(/no test yet/g)).toHaveLength(FAULT_ROWS.filter((r) => r.files.length === 0).length)
    expect(text.match(/not run/g)).toHaveLength(FAULT_ROWS.filter((r) => r.files.length > 0).length)
  })

  it('runs row 5 as one: the storage and the alerting member-loss tests, into one figures file', () => {
    const row5 = row('row5-processor-sigkill')
    expect(row5.files).toEqual([
      'test/integration/processors/storage/storage-members-sigkill.test.ts',
      'test/integration/processors/alerting/copartitioned.test.ts',
    ])
    expect(row5.figuresOf).toBeUndefined()
  })

  it('renders the recorded figures, a failing row as failing, and the rest of the figures below', () => {
    const outcomes: RowOutcome[] = [
      {
        row: row('row1-broker-sigkill'),
        status: 0,
        scale: 'full',
        figures: {
          published: 12_000,
          lost: 0,
          ackedButLost: 0,
          duplicates: 3,
          recoveryMs: 41_500,
          pubackP99SteadyMs: 12,
          pubackP99DuringFaultMs: 9_100,
          failoverMs: 9_000,
        },
      },
      { row: row('row2-broker-sigstop'), status: 1, scale: 'small', figures: { lost: 2 } },
    ]
    const text = renderFaults(outcomes, 'npm run bench:faults', 'now')
    expect(text).toContain('| row1 | a Kafka broker SIGKILLed')
    expect(text).toContain('| pass | full | 12,000 | 0 | 0 | 3 / — | 41.5 s | 12 / 9,100 ms |')
    expect(text).toContain('| **fail** (exit 1) | small | — | 2 |')
    expect(text).toContain('- **row1-broker-sigkill**: failoverMs 9000')
  })
})
