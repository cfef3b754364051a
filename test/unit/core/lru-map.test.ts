import { describe, expect, it } from 'vitest'
import { createLruMap } from '../../../core/lru-map.js'

describe('core > lru-map', () => {
  it('evicts the least recently used entry at capacity, and tells whom', () => {
    const evicted: string[] = []
    const lru = createLruMap<string, number>(2, (key) => evicted.push(key))
    lru.use('a', () => 1)
    lru.use('b', () => 2)
    expect(lru.use('a', () => 99)).toBe(1) // used again: b is now the oldest, create not called
    lru.use('c', () => 3)
    expect(evicted).toEqual(['b'])
    expect(lru.peek('b')).toBeUndefined()
    expect(lru.size).toBe(2)
  })

  it('peek does not refresh an entry', () => {
    const lru = createLruMap<string, number>(2)
    lru.use('a', () => 1)
    lru.use('b', () => 2)
    expect(lru.peek('a')).toBe(1)
    lru.use('c', () => 3)
    expect(lru.peek('a')).toBeUndefined()
    expect(lru.peek('b')).toBe(2)
  })

  it('never holds more than its capacity', () => {
    const lru = createLruMap<number, number>(100)
    for (let i = 0; i < 10_000; i++) lru.use(i, () => i)
    expect(lru.size).toBe(100)
    expect(lru.peek(9_999)).toBe(9_999)
    expect(lru.peek(9_899)).toBeUndefined()
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => createLruMap(0)).toThrow(RangeError)
  })
})
