// Pulsewire against the peer a team would build first (Mosquitto + a naive mqtt.js → kafkajs →
// InfluxDB bridge, bench/peer), driven by the same open-loop load generator and reconciled the
// same way, over a ladder of rates. Rates alternate between the two targets, so the machine's
// noise falls on both alike. Writes bench/results/compare-<time>.json and the comparison section
// of bench/RESULTS.md.
//   npm run build && node dist/bench/compare.js [--rates 500,1000,2000,4000] [--duration 30] [--devices 500] [--samples 5]
// Images of the comparison go to bench/images/ and are embedded in the section. `--from FILE`
// re-renders the section and its images from a recorded compare-*.json or capacity-compare-*.json
// without running anything.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatError, exitCodeFor } from '../core/report-error.js'
import { ConfigError } from '../core/errors.js'
import { findRepoRoot } from '../core/repo-root.js'
import { runLoadtest } from './loadtest/engine.js'
import { parseLoadtestOptions } from './loadtest/options.js'
import { createProgressWriter } from './loadtest/progress.js'
import { PulsewireTarget } from './loadtest/pulsewire-target.js'
import type { LoadReport } from './loadtest/report.js'
import type { LoadTarget } from './loadtest/target.js'
import { renderComparison, summarise, type RunSummary } from './compare-report.js'
import { createPeerTarget } from './peer/peer-target.js'
import type { TelegrafTuning } from './peer/telegraf/config.js'
import { createTelegrafPeerTarget } from './peer/telegraf/telegraf-target.js'
import { compareCapacity } from './capacity-compare.js'
import { renderCapacity } from './capacity-report.js'
import { machine } from './proc-stats.js'
import { capacityImages, comparisonImages, imageMarkdown, type ResultImage } from './report/compare-images.js'
import { writeResultsBlock } from './results-block.js'
import { ensureLocalStack } from './local-stack.js'

const root = findRepoRoot(import.meta.url)
const USAGE = `usage: node dist/bench/compare.js [--rates 500,1000] [--duration 30] [--devices 500] [--samples 5]
       [--targets pulsewire,peer,telegraf] [--fault-rate 1000] [--telegraf-tuning tuned|defaults] [--no-results-md]
       --find-capacity [--samples 5,10] [--start-rate 1000] [--max-rate 40000] [--steady 60] [--max-steps 8]
       --from bench/results/<file>.json   (re-render a recorded run, nothing measured)
It brings the local stack up first (pulsewire stack up), as npm test does.
`
const { values } = (() => {
  try {
    return parseArgs({
      options: {
        help: { type: 'boolean', default: false },
        rates: { type: 'string', default: '500,1000,2000,4000' },
        duration: { type: 'string', default: '30' },
        devices: { type: 'string', default: '500' },
        samples: { type: 'string', default: '5' },
        'ramp-up': { type: 'string', default: '5' },
        'drain-timeout': { type: 'string', default: '90' },
        targets: { type: 'string', default: 'pulsewire,peer' },
        // The fault round: the same rate for both, with the processes that bridge MQTT → Kafka and
        // Kafka → InfluxDB killed mid-run (SIGKILL) and restarted. 0 skips it.
        'fault-rate': { type: 'string', default: '1000' },
        'pulsewire-faults': { type: 'string', default: 'gateway@10,storage@20' },
        'peer-faults': { type: 'string', default: 'mosquitto@10,bridge@20' },
        'telegraf-faults': { type: 'string', default: 'telegraf-edge@10,telegraf-store@20' },
        'telegraf-tuning': { type: 'string', default: 'tuned' },
        'no-results-md': { type: 'boolean', default: false },
        // Sustained capacity under the latency SLO instead of fixed rates (bench/capacity-compare.ts):
        // one search per target and --samples value (a list here, e.g. 5,10), steps taking turns.
        'find-capacity': { type: 'boolean', default: false },
        'start-rate': { type: 'string', default: '1000' },
        'max-rate': { type: 'string', default: '40000' },
        steady: { type: 'string', default: '60' },
        'max-steps': { type: 'string', default: '8' },
        from: { type: 'string' },
      },
    })
  } catch (err) {
    return badOptions(err)
  }
})()
if (values.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const rates = values.rates.split(',').map(Number)
const TUNINGS: readonly TelegrafTuning[] = ['tuned', 'defaults']
const telegrafTuning = values['telegraf-tuning'] as TelegrafTuning
if (!TUNINGS.includes(telegrafTuning)) {
  const problem = { path: '--telegraf-tuning', message: `"${telegrafTuning}": tuned or defaults` }
  process.stderr.write(`${formatError(new ConfigError('compare options', [problem]))}\n`)
  process.exit(78)
}
const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}
const targets: Record<string, () => LoadTarget> = {
  pulsewire: () => new PulsewireTarget({ log }),
  peer: () => createPeerTarget({ log }),
  // Mosquitto + Telegraf (bench/peer/telegraf); its start builds Telegraf into .cache if missing.
  telegraf: () => createTelegrafPeerTarget({ log, tuning: telegrafTuning }),
}
const chosen = values.targets.split(',')
const command = `node dist/bench/compare.js ${process.argv.slice(2).join(' ')}`.trim()

// Ctrl-C / SIGTERM end the current run early (it still drains, reconciles and stops its target's
// processes by PID) and skip the rest, so no Mosquitto, bridge or gateway is left behind.
const interrupted = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: ending the current run; its target is stopped after the drain`)
    interrupted.abort()
  })
}

if (values.from) {
  await fromRecorded(values.from)
  process.exit(process.exitCode ?? 0)
}
ensureLocalStack(root)

if (values['find-capacity']) {
  await capacityMode()
  process.exit(process.exitCode ?? 0)
}

const summaries: RunSummary[] = []
const reports: LoadReport[] = []
const faultsOf: Record<string, string> = {
  pulsewire: values['pulsewire-faults'],
  peer: values['peer-faults'],
  telegraf: values['telegraf-faults'],
}
const rounds = [
  ...rates.map((rate) => ({ rate, faulty: false })),
  ...(Number(values['fault-rate']) > 0 ? [{ rate: Number(values['fault-rate']), faulty: true }] : []),
]
// Every run's options are validated before the first starts: a typo fails in a second, with
// every problem listed (exit 78), not half an hour into the ladder.
const plans = (() => {
  try {
    const unknown = chosen.filter((name) => !targets[name])
    if (unknown.length > 0) {
      throw new ConfigError(
        'compare options',
        unknown.map((name) => ({
          path: '--targets',
          message: `unknown target ${name}: pulsewire, peer or telegraf`,
        })),
      )
    }
    return rounds.flatMap(({ rate, faulty }) =>
      chosen.map((name) => {
        const faults = faulty ? (faultsOf[name] ?? '').split(',').filter(Boolean) : []
        const options = parseLoadtestOptions({
          faults,
          devices: values.devices,
          rate,
          samples: values.samples,
          duration: values.duration,
          rampUp: values['ramp-up'],
          drainTimeout: values['drain-timeout'],
          // The peer raises no alerts; alarm devices still send the same readings to both.
          alarmEvery: 20,
        })
        return { name, rate, faulty, faults, options }
      }),
    )
  } catch (err) {
    process.stderr.write(`${formatError(err)}\n`)
    process.exit(exitCodeFor(err))
  }
})()

for (const { name, rate, faulty, faults, options } of plans) {
  if (interrupted.signal.aborted) break
  log(
    `\n── ${name} at ${rate} msg/s × ${options.samples} readings${faulty ? `, faults ${faults.join(' ')}` : ''} ──`,
  )
  const progress = createProgressWriter(process.stderr)
  try {
    const report = await runLoadtest(options, targets[name]!(), {
      log,
      command,
      signal: interrupted.signal,
      onProgress: (p) => progress.update(p),
    })
    progress.end()
    reports.push(report)
    summaries.push(summarise(name, rate, report, faults))
    const s = summaries.at(-1)!
    log(
      `${name} ${rate}/s: acked ${s.ackedMsgsPerSec}/s, stored ${s.storedReadingsPerSec} readings/s, lost ${s.lostReadings}, ` +
        `PUBACK p99 ${s.pubackP99Ms} ms, → InfluxDB p99 ${s.influxP99Ms} ms, CPU ${s.cpuUsPerMessage} µs/msg`,
    )
  } catch (err) {
    progress.end()
    log(`${name} at ${rate}/s failed: ${err instanceof Error ? err.message : String(err)}`)
    summaries.push({ ...summarise(name, rate, undefined, faults), error: String(err) })
  }
}

const stamp = new Date().toISOString().replaceAll(':', '').slice(0, 17)
mkdirSync(join(root, 'bench/results'), { recursive: true })
const resultFile = join(root, `bench/results/compare-${stamp}.json`)
writeFileSync(resultFile, `${JSON.stringify({ command, machine: machine(), summaries, reports }, null, 2)}\n`)
const section = renderComparison({
  command,
  machine: machine(),
  resultFile: resultFile.slice(root.length + 1),
  summaries,
  images: writeImages(comparisonImages(summaries)),
})
process.stdout.write(`${section}\n`)
if (summaries.every((s) => s.error)) {
  log(`every run failed: bench/RESULTS.md left as it was (raw: ${resultFile})`)
  process.exit(1)
}
if (!values['no-results-md']) {
  await writeResultsBlock(root, 'compare', section)
  log(`comparison written to bench/RESULTS.md and ${resultFile}`)
}

async function capacityMode(): Promise<void> {
  const samples = values.samples.split(',').map(Number)
  const unknown = chosen.filter((name) => !targets[name])
  if (unknown.length > 0 || samples.some((k) => !Number.isInteger(k) || k < 1)) {
    process.stderr.write(
      `${formatError(
        new ConfigError('compare options', [
          ...unknown.map((name) => ({
            path: '--targets',
            message: `unknown target ${name}: pulsewire, peer or telegraf`,
          })),
          ...(samples.some((k) => !Number.isInteger(k) || k < 1)
            ? [{ path: '--samples', message: 'a list of whole numbers ≥ 1, e.g. 5,10' }]
            : []),
        ]),
      )}\n`,
    )
    process.exitCode = 78
    return
  }
  const comparison = await compareCapacity({
    targets: Object.fromEntries(chosen.map((name) => [name, () => targets[name]!()])),
    samples,
    loadInput: {
      devices: values.devices,
      rate: values['start-rate'],
      rampUp: values['ramp-up'],
      drainTimeout: values['drain-timeout'],
      alarmEvery: 20,
    },
    capacityInput: { maxRate: values['max-rate'], steady: values.steady, maxSteps: values['max-steps'] },
    command,
    signal: interrupted.signal,
    log,
  })
  const stamp = new Date().toISOString().replaceAll(':', '').slice(0, 17)
  mkdirSync(join(root, 'bench/results'), { recursive: true })
  const resultFile = join(root, `bench/results/capacity-compare-${stamp}.json`)
  writeFileSync(resultFile, `${JSON.stringify({ command, machine: machine(), comparison }, null, 2)}\n`)
  const section = renderCapacity({
    comparison,
    command,
    machine: machine(),
    resultFile: resultFile.slice(root.length + 1),
    when: new Date().toISOString().slice(0, 10),
    images: writeImages(capacityImages(comparison)),
  })
  process.stdout.write(`${section}\n`)
  if (comparison.reports.every((r) => r.error)) {
    log(`every search failed before measuring: bench/RESULTS.md left as it was (raw: ${resultFile})`)
    process.exitCode = 1
    return
  }
  if (!values['no-results-md']) {
    await writeResultsBlock(root, 'capacity', section)
    log(`capacity comparison written to bench/RESULTS.md and ${resultFile}`)
  }
  process.exitCode = comparison.reports.some((r) => r.error) ? 1 : 0
}

/** Writes the images into bench/images/ and returns the Markdown lines that embed them. */
function writeImages(images: readonly ResultImage[]): string[] {
  mkdirSync(join(root, 'bench/images'), { recursive: true })
  for (const image of images) writeFileSync(join(root, 'bench/images', image.file), `${image.svg}\n`)
  return imageMarkdown(images)
}

/** `--from FILE`: the section and its images again from recorded results, nothing run. */
async function fromRecorded(file: string): Promise<void> {
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as {
    command: string
    machine: string
    summaries?: RunSummary[]
    comparison?: Parameters<typeof capacityImages>[0]
  }
  const resultFile = file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file
  const note = `Images regenerated from the recorded results by \`npm run bench:compare -- --from ${resultFile}\`.`
  const [name, section] = recorded.comparison
    ? [
        'capacity',
        renderCapacity({
          comparison: recorded.comparison,
          command: recorded.command,
          machine: recorded.machine,
          resultFile,
          when: /(\d{4}-\d\d-\d\d)/.exec(resultFile)?.[1] ?? 'recorded',
          images: [...writeImages(capacityImages(recorded.comparison)), '', note],
        }),
      ]
    : [
        'compare',
        renderComparison({
          command: recorded.command,
          machine: recorded.machine,
          resultFile,
          summaries: recorded.summaries ?? [],
          images: [...writeImages(comparisonImages(recorded.summaries ?? [])), '', note],
        }),
      ]
  process.stdout.write(`${section}\n`)
  if (!values['no-results-md']) {
    await writeResultsBlock(root, name, section)
    log(`${name} section and images written to bench/RESULTS.md and bench/images/`)
  }
}

/** A command line parseArgs refused: a clear error naming the option, and the usage (exit 78). */
function badOptions(err: unknown): never {
  const problem = { path: 'command line', message: err instanceof Error ? err.message : String(err) }
  process.stderr.write(`${formatError(new ConfigError('compare options', [problem]))}\n${USAGE}`)
  process.exit(78)
}
