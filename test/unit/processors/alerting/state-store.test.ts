import { describe, expect, it } from 'vitest'
import {
  createStateCollector,
  decodeStoredState,
  encodeStoredState,
  offsetKey,
} from '../../../../processors/alerting/state-store.js'

const engine = Buffer.from('{"v":1}')

describe('processors > alerting > stored state (alerts.state.v1)', () => {
  it('round-trips offsets per (topic, partition) and the dedupe windows', () => {
    const state = {
      offsets: { [offsetKey('telemetry.vitals.v1', 3)]: 41, [offsetKey('telemetry.vitals.v1', 7)]: 9 },
      partitions: { 'telemetry.vitals.v1': 7 },
      engine,
      dedupe: [{ boot: 'b', high: 12, w: 64, bits: Buffer.alloc(8, 255).toString('base64') }],
    }
    expect(decodeStoredState(encodeStoredState(state))).toEqual(state)
  })

  it('still writes the per-topic offset of the current partition for older readers', () => {
    const bytes = encodeStoredState({
      offsets: { [offsetKey('telemetry.vitals.v1', 3)]: 41, [offsetKey('telemetry.vitals.v1', 7)]: 9 },
      partitions: { 'telemetry.vitals.v1': 7 },
      engine,
    })
    const wire = JSON.parse(bytes.toString('utf8')) as { offsets: unknown; dedupe?: unknown }
    expect(wire.offsets).toEqual({ 'telemetry.vitals.v1': 9 })
    expect(wire.dedupe).toBeUndefined()
  })

  it('loads a snapshot written before per-partition offsets and dedupe (backward compatible)', () => {
    const old = Buffer.from(
      JSON.stringify({
        v: 1,
        offsets: { 'telemetry.vitals.v1': 500, 'telemetry.status.v1': 12 },
        partitions: { 'telemetry.vitals.v1': 4 },
        engine: engine.toString('base64'),
      }),
    )
    expect(decodeStoredState(old)).toEqual({
      // The status offset names no partition: it cannot be placed, so it is dropped.
      offsets: { [offsetKey('telemetry.vitals.v1', 4)]: 500 },
      partitions: { 'telemetry.vitals.v1': 4 },
      engine,
      dedupe: undefined,
    })
    const oldest = Buffer.from(JSON.stringify({ v: 1, offsets: { t: 1 }, engine: '' }))
    expect(decodeStoredState(oldest)?.offsets).toEqual({})
  })

  it('ignores malformed dedupe windows instead of refusing the state', () => {
    const bytes = Buffer.from(JSON.stringify({ v: 1, offsets: {}, engine: '', dedupe: [{ boot: 1 }] }))
    expect(decodeStoredState(bytes)?.dedupe).toBeUndefined()
    expect(decodeStoredState(Buffer.from('{"v":2}'))).toBeUndefined()
  })

  it('restore keeps the latest record per key, as reading them in order does; a tombstone or unreadable latest drops the key', () => {
    const at = (offset: number) =>
      encodeStoredState({ offsets: { [offsetKey('v', 0)]: offset }, partitions: { v: 0 }, engine })
    const c = createStateCollector()
    c.add('a', at(1))
    c.add('b', at(2))
    c.add('a', at(3)) // a newer state of a
    c.add('b', Buffer.alloc(0)) // b deleted
    c.add('c', at(4))
    c.add('c', Buffer.from('not json')) // c unreadable now
    c.add('d', Buffer.from('not json'))
    c.add('d', at(5)) // an unreadable record superseded by a good one
    c.add(undefined, at(6)) // no key: counted, never kept
    const states = c.result()
    expect([...states.keys()].sort()).toEqual(['a', 'd'])
    expect(states.get('a')?.offsets).toEqual({ [offsetKey('v', 0)]: 3 })
    expect(states.get('d')?.offsets).toEqual({ [offsetKey('v', 0)]: 5 })
    expect(c.stats()).toMatchObject({ records: 9, keys: 4 })
  })
})
