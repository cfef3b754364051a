import { describe, expect, it } from 'vitest'
import {
  formatRanges,
  parseRanges,
  reconcile,
  type DeviceLedger,
} from '../../../../bench/loadtest/reconcile.js'

const counts = (lastSeq: number, seen: Record<number, number>): Uint8Array => {
  const a = new Uint8Array(lastSeq + 1)
  for (let s = 1; s <= lastSeq; s++) a[s] = seen[s] ?? 1
  return a
}

const device = (over: Partial<DeviceLedger> & { deviceId: string }): DeviceLedger => ({
  lastSeq: 10,
  notAcked: new Set(),
  sendFailed: new Set(),
  kafkaCounts: counts(10, {}),
  stored: 'all',
  foreignPoints: 0,
  ...over,
})

/** All seqs stored with `samples` readings except the ones listed (with how many readings made it). */
const storedExcept = (
  lastSeq: number,
  samples: number,
  partial: Record<number, number>,
): Map<number, number> =>
  new Map(Array.from({ length: lastSeq }, (_, i) => [i + 1, partial[i + 1] ?? samples]))

describe('unit > devices-sim > loadtest > reconciliation by (device, seq)', () => {
  it('everything acked, in Kafka and stored: nothing lost', () => {
    const r = reconcile([device({ deviceId: 'a' }), device({ deviceId: 'b' })], 3, 1)
    expect(r).toMatchObject({
      published: 20,
      acked: 20,
      inKafka: 20,
      storedMessages: 20,
      storedReadings: 60,
      expectedReadings: 60,
    })
    expect(r).toMatchObject({
      lostMessages: 0,
      lostReadings: 0,
      devicesWithLoss: 0,
      kafkaDuplicates: 0,
      devices: [],
    })
  })

  it('QoS 1: lost = acknowledged but not stored, with the missing seqs named; unacked unstored is not loss', () => {
    const a = device({
      deviceId: 'a',
      notAcked: new Set([10]),
      kafkaCounts: counts(10, { 10: 0, 4: 2 }),
      stored: storedExcept(10, 3, { 4: 0, 5: 0, 6: 1, 10: 0 }),
    })
    const r = reconcile([a, device({ deviceId: 'b' })], 3, 1)
    expect(r.lossRule).toBe('acknowledged but not stored')
    expect(r.acked).toBe(19)
    expect(r.kafkaDuplicates).toBe(1)
    expect(r.lostMessages).toBe(3) // 4, 5, 6 (partially stored); 10 was never acknowledged
    expect(r.lostReadings).toBe(3 + 3 + 2)
    expect(r.devices[0]).toMatchObject({ deviceId: 'a', lostSeqs: '4-6', lostMessages: 3 })
    expect(parseRanges(r.devices[0]?.lostSeqs ?? '')).toEqual([4, 5, 6])
  })

  it('QoS 0: lost = published but not stored, including messages that never left the device', () => {
    const a = device({
      deviceId: 'a',
      notAcked: new Set([7, 8]),
      sendFailed: new Set([7, 8]),
      kafkaCounts: counts(10, { 7: 0, 8: 0, 9: 0 }),
      stored: storedExcept(10, 1, { 7: 0, 8: 0, 9: 0 }),
    })
    const r = reconcile([a], 1, 0)
    expect(r.lossRule).toBe('published but not stored')
    expect(r).toMatchObject({ published: 10, sendFailed: 2, lostMessages: 3, lostReadings: 3 })
    // Missing seqs are exactly published − stored.
    expect(parseRanges(r.devices[0]?.lostSeqs ?? '')).toEqual([7, 8, 9])
    expect(r.published - r.storedMessages).toBe(r.lostMessages)
  })

  it('flags acked-but-absent-from-Kafka and foreign points even without loss', () => {
    const r = reconcile(
      [device({ deviceId: 'a', kafkaCounts: counts(10, { 2: 0 }), foreignPoints: 4 })],
      2,
      1,
    )
    expect(r).toMatchObject({ ackedNotInKafka: 1, foreignPoints: 4, lostMessages: 0 })
    expect(r.devices.map((d) => d.deviceId)).toEqual(['a'])
  })

  it('formats seq ranges compactly and reads them back', () => {
    expect(formatRanges([1, 2, 3, 7, 9, 10])).toBe('1-3,7,9-10')
    expect(formatRanges([])).toBe('')
    expect(parseRanges('1-3,7,9-10')).toEqual([1, 2, 3, 7, 9, 10])
  })
})
