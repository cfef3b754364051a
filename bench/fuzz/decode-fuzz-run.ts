// The long form of the decoder fuzz: the unit test's properties on 10^6 inputs, in batches
// with their own seeds so that progress (inputs/s, RSS) is printed and a failure names the
// batch seed that replays it.
import fc from 'fast-check'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { checkPayload, emptyStats, type DecodeFuzzStats } from './decode-check.js'
import { fuzzPayload } from './payload-inputs.js'

export interface DecodeFuzzResult extends DecodeFuzzStats {
  seed: number
  seconds: number
  inputsPerSecond: number
  maxRssBytes: number
  rssStartBytes: number
  rssEndBytes: number
  failures: Array<{ seed: number; path: string | undefined; error: string; counterexampleHex: string }>
}

export function goldenPayloads(root: string): Uint8Array[] {
  const base = join(root, 'test/fixtures/proto/telemetry.v1')
  return readdirSync(base).map((name) => new Uint8Array(readFileSync(join(base, name, 'payload.bin'))))
}

export function runDecodeFuzz(options: {
  root: string
  seed: number
  inputs: number
  batch: number
  maxInputMs: number
  log: (line: string) => void
}): DecodeFuzzResult {
  const arbitrary = fuzzPayload(goldenPayloads(options.root))
  const stats = emptyStats()
  const failures: DecodeFuzzResult['failures'] = []
  const rssStartBytes = process.memoryUsage.rss()
  let maxRssBytes = rssStartBytes
  const started = performance.now()
  for (let done = 0, batch = 0; done < options.inputs; batch++) {
    const numRuns = Math.min(options.batch, options.inputs - done)
    const seed = options.seed + batch
    const result = fc.check(
      fc.property(arbitrary, (bytes) => checkPayload(bytes, stats, options.maxInputMs)),
      { seed, numRuns },
    )
    done += numRuns
    maxRssBytes = Math.max(maxRssBytes, process.memoryUsage.rss())
    if (result.failed) {
      const input = result.counterexample?.[0]
      failures.push({
        seed,
        path: result.counterexamplePath ?? undefined,
        error: String(result.errorInstance),
        counterexampleHex: input ? Buffer.from(input).toString('hex').slice(0, 4096) : '',
      })
      options.log(`  decode: FAILURE at batch seed ${seed}: ${String(result.errorInstance)}`)
    }
    if (batch % 5 === 4 || done >= options.inputs) {
      const seconds = (performance.now() - started) / 1000
      options.log(
        `  decode: ${done.toLocaleString('en-US')} inputs, ${Math.round(stats.inputs / seconds)} inputs/s, ` +
          `accepted ${stats.accepted}, max ${stats.maxInputMs.toFixed(1)} ms/input, RSS ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
      )
    }
  }
  const seconds = (performance.now() - started) / 1000
  return {
    seed: options.seed,
    ...stats,
    seconds,
    inputsPerSecond: Math.round(stats.inputs / seconds),
    maxRssBytes,
    rssStartBytes,
    rssEndBytes: process.memoryUsage.rss(),
    failures,
  }
}
