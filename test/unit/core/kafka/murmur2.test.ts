import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { javaPartition, murmur2 } from '../../../../core/kafka/murmur2.js'
import { PRODUCER_TOPIC_CONFIG } from '../../../../core/kafka/rdkafka.js'

// The expected hashes are the cases of Apache Kafka's own UtilsTest.testMurmur2
// (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
const JAVA_MURMUR2: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

describe('core > kafka > murmur2', () => {
  it.each(JAVA_MURMUR2)('hashes %j as Java Utils.murmur2 does', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected)
  })

  it('maps keys to partitions as toPositive(murmur2(key)) % n, not Math.abs', () => {
    // Worked from the Java hashes above: toPositive(h) = h & 0x7fffffff.
    expect(javaPartition('21', 12)).toBe((-973932308 & 0x7fffffff) % 12)
    expect(javaPartition('21', 12)).toBe(0)
    expect(javaPartition('foobar', 12)).toBe(6)
    expect(javaPartition('a-little-bit-longer-string', 12)).toBe(11)
    expect(javaPartition('abc', 12)).toBe(3)
    expect(javaPartition('abc', 6)).toBe(479470107 % 6)
    // Math.abs would give another partition for a negative hash: the trap Java's toPositive avoids.
    expect(Math.abs(-973932308) % 12).not.toBe(javaPartition('21', 12))
  })

  it('agrees with kafkajs’ Java-compatible DefaultPartitioner hash on device-like keys', () => {
    const require = createRequire(import.meta.url)
    const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
      key: Buffer,
    ) => number
    const keys = ['', 'a', 'ab', 'bedside-0001', 'ward-3-bed-12', 'pump-ü-7', 'x'.repeat(97)]
    for (const key of keys) expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(Buffer.from(key)))
  })

  it('is the partitioner of every producer’s default topic config (ADR 0014)', () => {
    expect(PRODUCER_TOPIC_CONFIG.partitioner).toBe('murmur2_random')
  })
})
