import { describe, expect, it } from 'vitest'
import { batchStarts, createDirtyStates, splitKey } from '../../../../processors/alerting/dirty-states.js'

const P0 = 'vitals/0'
const S0 = 'status/0'
const at = (offset: number, clockMs?: number) => ({ offset, clockMs })

describe('processors > alerting > dirty states (what holds a partition commit back)', () => {
  it('commits a partition no further than the batch start where its earliest dirty device changed', () => {
    const dirty = createDirtyStates({ maxDirtyMs: 5_000 })
    dirty.begin(new Map([[P0, at(100, 1_000)]]))
    dirty.mark('a', [P0], 0)
    expect(dirty.committable(P0, at(120, 1_900))).toEqual(at(100, 1_000))
    dirty.end(new Map([[P0, at(120, 1_900)]]))

    // b changes in the next batch: a's earlier start still holds the partition.
    dirty.begin(new Map([[P0, at(120, 1_900)]]))
    dirty.mark('b', [P0], 500)
    dirty.mark('a', [P0], 500) // dirty already: keeps its first start and its since
    expect(dirty.committable(P0, at(140, 2_900))).toEqual(at(100, 1_000))
    dirty.end(new Map([[P0, at(140, 2_900)]]))

    // a is written: b's start is the limit now; once b is written too, the batch end.
    dirty.saved('a')
    expect(dirty.committable(P0, at(160, 3_900))).toEqual(at(120, 1_900))
    dirty.saved('b')
    expect(dirty.committable(P0, at(160, 3_900))).toEqual(at(160, 3_900))
    expect(dirty.size()).toBe(0)
  })

  it('is due maxDirtyMs after a device first changed, not after its latest change', () => {
    const dirty = createDirtyStates({ maxDirtyMs: 5_000 })
    dirty.begin(new Map([[P0, at(0)]]))
    dirty.mark('a', [P0], 1_000)
    dirty.mark('b', [P0], 3_000)
    dirty.mark('a', [P0], 4_000)
    expect(dirty.due(5_999)).toEqual([])
    expect(dirty.due(6_000)).toEqual(['a'])
    expect(dirty.due(8_000).sort()).toEqual(['a', 'b'])
    const eager = createDirtyStates({ maxDirtyMs: 0 })
    eager.mark('a', [P0], 1_000)
    expect(eager.due(1_000)).toEqual(['a'])
  })

  it('holds the device’s other partitions from where they continue, or from their next batch', () => {
    const dirty = createDirtyStates({ maxDirtyMs: 5_000 })
    // status/0 was read up to 40 before; this batch has only vitals.
    dirty.begin(new Map([[S0, at(30, 900)]]))
    dirty.end(new Map([[S0, at(40, 950)]]))
    dirty.begin(new Map([[P0, at(100, 1_000)]]))
    dirty.mark('a', [P0, S0, 'environment/0'], 0)
    dirty.end(new Map([[P0, at(110, 1_100)]]))
    // status/0: where it continues (its next record is the first the device may depend on).
    expect(dirty.committable(S0, at(45, 1_200))).toEqual(at(40, 950))
    // environment/0 was not read since the assignment: its next batch's start.
    dirty.begin(new Map([['environment/0', at(7, 1_150)]]))
    expect(dirty.committable('environment/0', at(9, 1_200))).toEqual(at(7, 1_150))
  })

  it('forgets everything on clear (a new assignment reads again from the committed offsets)', () => {
    const dirty = createDirtyStates({ maxDirtyMs: 5_000 })
    dirty.begin(new Map([[P0, at(100)]]))
    dirty.mark('a', [P0], 0)
    dirty.end(new Map([[P0, at(120)]]))
    dirty.clear()
    expect(dirty.size()).toBe(0)
    expect(dirty.positions().size).toBe(0)
    expect(dirty.committable(P0, at(130))).toEqual(at(130))
  })

  it('reads batch starts (lowest offset per partition, clock before it) and splits partition keys', () => {
    const starts = batchStarts(
      [
        { topic: 'vitals', partition: 0, offset: 12 },
        { topic: 'vitals', partition: 0, offset: 11 },
        { topic: 'status', partition: 3, offset: 5 },
      ],
      (p) => (p === P0 ? 1_000 : undefined),
    )
    expect([...starts]).toEqual([
      [P0, at(11, 1_000)],
      ['status/3', at(5, undefined)],
    ])
    expect(splitKey('telemetry.vitals.v1/11')).toEqual({ topic: 'telemetry.vitals.v1', partition: 11 })
  })
})
