import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkPayload, emptyStats } from '../../../bench/fuzz/decode-check.js'
import { fuzzPayload } from '../../../bench/fuzz/payload-inputs.js'
import { protoFixtures } from '../../helpers/fixtures.js'

// The short form of the decoder fuzz (`npm run fuzz` runs the 10^6 long form). The seed is
// fixed so the suite is deterministic; FUZZ_SEED=<n> explores another stretch, and a failure
// prints the seed and the shrunk input to replay it.
const seed = Number(process.env.FUZZ_SEED ?? 20_261_202)
const runs = Number(process.env.FUZZ_RUNS ?? 30_000)
const goldens = protoFixtures('telemetry.v1').map((f) => new Uint8Array(f.payload))

describe('unit > fuzz > decode + validate', () => {
  it(`never throws, reasons from the closed set, accepted envelopes valid (${runs} inputs, seed ${seed})`, () => {
    const stats = emptyStats()
    const rssBefore = process.memoryUsage.rss()
    fc.assert(
      fc.property(fuzzPayload(goldens), (bytes) => checkPayload(bytes, stats, 1_000)),
      { seed, numRuns: runs },
    )
    const rssGrowth = process.memoryUsage.rss() - rssBefore
    expect(stats.inputs).toBeGreaterThanOrEqual(runs)
    // The generators reach every layer: bytes that decode, envelopes that pass, and many reasons.
    expect(stats.decoded).toBeGreaterThan(runs / 10)
    expect(stats.accepted).toBeGreaterThan(0)
    expect(Object.keys(stats.rejected).length).toBeGreaterThanOrEqual(12)
    expect(rssGrowth).toBeLessThan(256 * 1024 * 1024)
  }, 60_000)
})
