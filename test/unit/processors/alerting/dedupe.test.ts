import { describe, expect, it } from 'vitest'
import { createDedupe } from '../../../../processors/alerting/dedupe.js'

describe('processors > alerting > dedupe by (device, boot, seq)', () => {
  it('drops a repeated seq, accepts gaps filled later, and judges nothing beyond the window', () => {
    const d = createDedupe({ windowSeqs: 64, maxDevices: 10 }, () => undefined)
    expect([1, 2, 3, 5].map((s) => d.check('a', 'b1', s))).toEqual(['new', 'new', 'new', 'new'])
    expect(d.check('a', 'b1', 3)).toBe('duplicate')
    expect(d.check('a', 'b1', 4)).toBe('new') // a gap filled late is new data
    expect(d.check('a', 'b1', 4)).toBe('duplicate')
    expect(d.check('a', 'b1', 200)).toBe('new')
    expect(d.check('a', 'b1', 137)).toBe('new') // inside the window: never seen
    expect(d.check('a', 'b1', 136)).toBe('beyond_window')
    expect(d.check('a', 'b1', 5)).toBe('beyond_window')
  })

  it('clears the slots it slides over, so an old bit never marks a new seq as seen', () => {
    const d = createDedupe({ windowSeqs: 64, maxDevices: 10 }, () => undefined)
    for (let s = 1; s <= 64; s++) d.check('a', 'b', s)
    expect(d.check('a', 'b', 100)).toBe('new') // 65..99 skipped: their slots are cleared
    for (const s of [65, 80, 99]) expect(d.check('a', 'b', s)).toBe('new')
  })

  it('keeps boots apart and remembers the previous boots of a device', () => {
    const d = createDedupe({ windowSeqs: 64, maxDevices: 10 }, () => undefined)
    d.check('a', 'boot-1', 7)
    expect(d.check('a', 'boot-2', 7)).toBe('new')
    expect(d.check('a', 'boot-1', 7)).toBe('duplicate') // an old boot's resend after the reboot
    expect(d.check('b', 'boot-1', 7)).toBe('new') // another device
  })

  it('bounds the devices it tracks (least recently seen first) and reports each eviction', () => {
    const evicted: string[] = []
    const d = createDedupe({ windowSeqs: 64, maxDevices: 2 }, (id) => evicted.push(id))
    d.check('a', 'b', 1)
    d.check('b', 'b', 1)
    d.check('a', 'b', 2) // a is now the most recent
    d.check('c', 'b', 1)
    expect(evicted).toEqual(['b'])
    expect(d.size()).toBe(2)
    expect(d.check('a', 'b', 1)).toBe('duplicate')
    expect(d.check('b', 'b', 1)).toBe('new') // forgotten
  })

  it('exports and imports windows (the snapshot), dropping windows of another size', () => {
    const d = createDedupe({ windowSeqs: 128, maxDevices: 10 }, () => undefined)
    for (const s of [1, 2, 3, 10]) d.check('a', 'b', s)
    const stored = d.export('a')!
    expect(JSON.parse(JSON.stringify(stored))).toEqual(stored)
    const restored = createDedupe({ windowSeqs: 128, maxDevices: 10 }, () => undefined)
    restored.import('a', stored)
    expect([1, 2, 3, 10].map((s) => restored.check('a', 'b', s))).toEqual(Array(4).fill('duplicate'))
    expect(restored.check('a', 'b', 4)).toBe('new')
    const resized = createDedupe({ windowSeqs: 256, maxDevices: 10 }, () => undefined)
    resized.import('a', stored)
    expect(resized.check('a', 'b', 10)).toBe('new')
    expect(d.export('nobody')).toBeUndefined()
  })
})
