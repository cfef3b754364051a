/**
 * A bounded set of recently handled dedupe keys, least recently used evicted first (a Map keeps
 * insertion order, so re-inserting a key moves it to the back). It catches redeliveries within
 * one process (a batch consumed again after a failed commit or a rebalance); across restarts the
 * receiver dedupes on the Idempotency-Key the webhook sends.
 */
export interface RecentKeys {
  has(key: string): boolean
  add(key: string): void
  readonly size: number
}

export function createRecentKeys(capacity: number): RecentKeys {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
  const keys = new Map<string, true>()
  return {
    has(key) {
      if (!keys.has(key)) return false
      keys.delete(key)
      keys.set(key, true)
      return true
    },
    add(key) {
      keys.delete(key)
      keys.set(key, true)
      if (keys.size > capacity) {
        const oldest = keys.keys().next()
        if (!oldest.done) keys.delete(oldest.value)
      }
    },
    get size() {
      return keys.size
    },
  }
}
