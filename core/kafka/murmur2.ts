/**
 * Java Kafka's key → partition mapping (org.apache.kafka.common.utils.Utils.murmur2 and the
 * default partitioner's `toPositive(murmur2(keyBytes)) % numPartitions`). Our producers set
 * librdkafka's `partitioner=murmur2_random`, which computes the same; this port lets tests and
 * tools say which partition a device is on without asking a broker (ADR 0014).
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** Java's murmur2 of the bytes, as a signed 32-bit int (what Utils.murmur2 returns). */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = (SEED ^ length) | 0
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16)
    k |= (data[i4 + 3]! & 0xff) << 24
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  // Java's switch falls through: 3 → 2 → 1.
  const tail = length & ~3
  const rest = length % 4
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8
  if (rest >= 1) {
    h ^= data[tail]! & 0xff
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition Java's default partitioner (and librdkafka's murmur2_random) picks for a key. */
export function javaPartition(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  // Utils.toPositive: clear the sign bit (not Math.abs, which differs for negative values).
  return (murmur2(bytes) & 0x7fffffff) % partitions
}
