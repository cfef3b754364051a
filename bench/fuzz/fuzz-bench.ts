// `npm run fuzz`: the long forms of the fuzzers (the short forms run in `npm test`).
//   node dist/bench/fuzz/fuzz-bench.js [--inputs 1000000] [--packets 100000] [--seed N]
//     [--huge-body-bytes 4194304] [--only decode|mqtt]
// Decoder/validator: 10^6 inputs in-process. MQTT front: 10^5 packets over real sockets to a
// real gateway on the local stack's Kafka (`pulsewire stack up`). Writes bench/results/fuzz-<time>.json
// and exits 1 on any property failure, fault, or good device that lost a publish or its connection.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { findRepoRoot } from '../../core/repo-root.js'
import { machineFacts } from '../proc-stats.js'
import { goldenPayloads, runDecodeFuzz, type DecodeFuzzResult } from './decode-fuzz-run.js'
import { runMqttFuzzAgainstGateway, type MqttFuzzResult } from './mqtt-fuzz-run.js'

const root = findRepoRoot(import.meta.url)
const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    packets: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    'huge-body-bytes': { type: 'string', default: String(4 * 1024 * 1024) },
    only: { type: 'string' },
  },
})
const seed = Number(values.seed)
const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`
const startedAt = new Date().toISOString()
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>
}
let decode: DecodeFuzzResult | undefined
let mqtt: MqttFuzzResult | undefined

log(`fuzz: seed ${seed} (replay with --seed ${seed})`)
if (values.only !== 'mqtt') {
  log(`decoder/validator: ${Number(values.inputs).toLocaleString('en-US')} inputs`)
  decode = runDecodeFuzz({ root, seed, inputs: Number(values.inputs), batch: 20_000, maxInputMs: 2_000, log })
  log(
    `decoder/validator: ${decode.inputs} inputs in ${decode.seconds.toFixed(0)} s (${decode.inputsPerSecond}/s), ` +
      `${decode.failures.length} failures, max ${decode.maxInputMs.toFixed(1)} ms/input, max RSS ${mib(decode.maxRssBytes)}`,
  )
}
if (values.only !== 'decode') {
  log(`MQTT front: ${Number(values.packets).toLocaleString('en-US')} packets`)
  mqtt = await runMqttFuzzAgainstGateway({
    seed,
    packets: Number(values.packets),
    concurrency: 32,
    goodDevices: 10,
    hugeBodyBytes: Number(values['huge-body-bytes']),
    payloads: goldenPayloads(root).map((p) => Buffer.from(p)),
    log,
  })
  const g = mqtt.goodDevices
  log(
    `MQTT front: ${mqtt.stats.packets} packets, ${mqtt.stats.sessions} sessions in ${mqtt.seconds.toFixed(0)} s ` +
      `(${mqtt.packetsPerSecond}/s); faults ${mqtt.faults.length}; good devices ${g.acked}/${g.published} acked, ` +
      `${g.disconnects} disconnects; serving after: ${mqtt.gatewayServingAfter}; ` +
      `RSS ${mib(mqtt.rss.baselineBytes)} → max ${mib(mqtt.rss.maxBytes)}, end ${mib(mqtt.rss.endBytes)}`,
  )
}

const file = join(root, 'bench/results', `fuzz-${startedAt.slice(0, 19).replaceAll(':', '')}.json`)
mkdirSync(join(root, 'bench/results'), { recursive: true })
const report = {
  startedAt,
  seed,
  machine: machineFacts(),
  fastCheck: pkg.devDependencies['fast-check'],
  decode,
  mqtt,
}
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
log(`results: ${file}`)
const failed =
  (decode?.failures.length ?? 0) > 0 ||
  (mqtt !== undefined &&
    (mqtt.faults.length > 0 ||
      !mqtt.gatewayServingAfter ||
      mqtt.goodDevices.unacked > 0 ||
      mqtt.goodDevices.disconnects > 0 ||
      mqtt.goodDevices.errors.length > 0))
process.exit(failed ? 1 : 0)
