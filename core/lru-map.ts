/**
 * A Map bounded to `capacity` entries, the least recently used evicted first. A Map iterates in
 * insertion order, so re-inserting a key when it is used keeps the oldest entry first. For per-key
 * state that must not grow with an attacker's or a fleet's key space (admission per address,
 * quota per device, dedupe windows per device): eviction costs precision, never memory.
 */
export interface LruMap<K, V> {
  /** The entry for `key`, now the most recently used; created when absent (evicting the oldest at capacity). */
  use(key: K, create: () => V): V
  /** The entry, without changing its place. */
  peek(key: K): V | undefined
  clear(): void
  readonly size: number
}

export function createLruMap<K, V>(capacity: number, onEvict?: (key: K, value: V) => void): LruMap<K, V> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
  const entries = new Map<K, V>()
  return {
    use(key, create) {
      const existing = entries.get(key)
      if (existing !== undefined) {
        entries.delete(key)
        entries.set(key, existing)
        return existing
      }
      if (entries.size >= capacity) {
        const oldest = entries.entries().next()
        if (!oldest.done) {
          entries.delete(oldest.value[0])
          onEvict?.(oldest.value[0], oldest.value[1])
        }
      }
      const fresh = create()
      entries.set(key, fresh)
      return fresh
    },
    peek: (key) => entries.get(key),
    clear: () => entries.clear(),
    get size() {
      return entries.size
    },
  }
}
