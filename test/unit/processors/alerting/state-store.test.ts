import { describe, expect, it } from 'vitest'
import {
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
})
