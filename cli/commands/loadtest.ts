import { resolve } from 'node:path'
import { type Command } from 'commander'
import { ConfigError } from '../../core/errors.js'
import { runLoadtest } from '../../bench/loadtest/engine.js'
import { parseLoadtestOptions } from '../../bench/loadtest/options.js'
import { createProgressWriter } from '../../bench/loadtest/progress.js'
import { PULSEWIRE_PROCESSES, PulsewireTarget } from '../../bench/loadtest/pulsewire-target.js'
import { LOAD_PROFILE_NAMES } from '../../bench/loadtest/readings.js'
import { formatReport, type LoadReport } from '../../bench/loadtest/report.js'
import { writeHtmlBeside, writeResultFile } from '../../bench/loadtest/results-file.js'
import { renderLoadtestHtml } from '../../bench/report/loadtest-html.js'
import { say } from '../context.js'
import { runCapacityCommand } from './loadtest-capacity.js'

export interface LoadtestFlags {
  devices?: string
  rate?: string
  interval?: string
  samples?: string
  qos?: string
  duration?: string
  rampUp?: string
  profile?: string
  alarmEvery?: string
  alarmSpo2?: string
  alarmHold?: string
  fault: string[]
  gateways?: string
  probeEvery?: string
  probePoll?: string
  drainTimeout?: string
  connectRate?: string
  json?: boolean
  out?: string
  keepData?: boolean
  cpuProf?: string
  findCapacity?: boolean
  maxRate?: string
  warmUpRate?: string
  resolution?: string
  ladderFactor?: string
  maxSteps?: string
  steady?: string
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

export function registerLoadtest(program: Command): void {
  program
    .command('loadtest')
    .description(
      'Open-loop load test: simulated devices publish on a fixed schedule through the gateway; reports ' +
        'throughput, per-hop latency (PUBACK, Kafka, visible in InfluxDB, alert), CPU/RSS per process and ' +
        'loss reconciled by (device, seq). Exit 0: nothing lost; 1: readings lost or the run failed; 78: bad options.',
    )
    .option('--devices <n>', 'simulated devices (default 100)')
    .option('--rate <msgs/s>', 'messages per second, all devices together')
    .option('--interval <ms>', 'instead of --rate: ms between two messages of one device (default 1000)')
    .option('--samples <n>', 'readings per message (default 1)')
    .option('--qos <0|1>', 'MQTT QoS (default 1)')
    .option('--duration <s>', 'load duration, s (default 30)')
    .option('--ramp-up <s>', 'rise linearly to the full rate over this many seconds (default 0)')
    .option('--profile <type>', `device type: ${LOAD_PROFILE_NAMES.join(', ')} (default bedside-monitor)`)
    .option('--alarm-every <n>', 'every Nth device reports an SpO2 desaturation; 0 = none (default 20)')
    .option('--alarm-spo2 <pct>', 'SpO2 of alarm devices while in alarm (default 85)')
    .option('--alarm-hold <s>', 'alarm phase, then 10 s normal, repeating (default 20: past the 15 s delay)')
    .option(
      '--fault <process@s>',
      `kill and restart a process mid-run (${PULSEWIRE_PROCESSES.join(', ')}), e.g. storage@20; repeatable`,
      collect,
      [],
    )
    .option(
      '--probe-every <n>',
      'probe 1 message in n for "visible in InfluxDB" (default: about 20 probes/s)',
    )
    .option('--probe-poll <ms>', 'InfluxDB poll interval of the probes (default 50)')
    .option('--drain-timeout <s>', 'after the load, wait at most this long for acks and storage (default 60)')
    .option('--connect-rate <n/s>', 'device connects per second before the load starts (default 1000)')
    .option('--json', 'print the report as JSON on stdout (progress stays on stderr)')
    .option('--out <file|dir>', 'result file (default bench/results/loadtest-<timestamp>.json)')
    .option('--keep-data', "keep the run's InfluxDB database and the target's logs")
    .option(
      '--cpu-prof <dir>',
      'profile the gateway, storage and alerting (node --cpu-prof) into <dir>/<process>/; ' +
        'summarise with node dist/bench/profiles/summarise.js <dir>',
    )
    .option(
      '--gateways <n>',
      'gateway processes, 1–16 (default 1): devices get them all as a gateway list and move on when theirs dies; ' +
        'a gateway fault kills the first (ADR 0022)',
    )
    .option(
      '--find-capacity',
      'search the sustained capacity under the latency SLO: a warm-up, a ladder from --rate, then bisection; ' +
        'each step a whole run judged on its steady window (PUBACK p99 ≤ 100 ms, visible in InfluxDB p99 ≤ 1 s, ' +
        'alert p99 ≤ 250 ms, ≥ 99.9 % acknowledged, lag ≤ 1 s of load, 0 lost, no alarm caused by the load)',
    )
    .option('--max-rate <msgs/s>', 'with --find-capacity: highest rate tried (default 50000)')
    .option('--steady <s>', 'with --find-capacity: steady window per step after --ramp-up, ≥ 60 (default 60)')
    .option(
      '--warm-up-rate <msgs/s>',
      'with --find-capacity: rate of the unjudged first step (default: --rate / 2)',
    )
    .option('--ladder-factor <x>', 'with --find-capacity: rate multiplier between ladder steps (default 2)')
    .option(
      '--resolution <fraction>',
      'with --find-capacity: stop bisecting within this fraction (default 0.1)',
    )
    .option('--max-steps <n>', 'with --find-capacity: judged steps at most (default 12)')
    .action(async (flags: LoadtestFlags) => {
      const {
        findCapacity,
        maxRate,
        warmUpRate,
        resolution,
        ladderFactor,
        maxSteps,
        steady,
        gateways,
        ...rest
      } = flags
      const gatewayCount = gateways === undefined ? 1 : Number(gateways)
      if (
        !Number.isInteger(gatewayCount) ||
        gatewayCount < 1 ||
        gatewayCount > 16 ||
        (findCapacity && gatewayCount > 1)
      )
        throw new ConfigError('loadtest options', [
          {
            path: '--gateways',
            message: findCapacity ? 'not with --find-capacity' : 'expected an integer 1–16',
          },
        ])
      if (findCapacity) {
        await runCapacityCommand(rest, { maxRate, warmUpRate, resolution, ladderFactor, maxSteps, steady })
        return
      }
      const given = Object.entries({ maxRate, warmUpRate, resolution, ladderFactor, maxSteps, steady })
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k)
      if (given.length > 0) {
        throw new ConfigError(
          'loadtest options',
          given.map((k) => ({
            path: `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
            message: 'only with --find-capacity',
          })),
        )
      }
      const { fault, json, out, keepData, cpuProf, ...numbers } = rest
      const options = parseLoadtestOptions({ ...numbers, faults: fault })
      const unknown = options.faults.filter(
        (f) => !(PULSEWIRE_PROCESSES as readonly string[]).includes(f.process),
      )
      if (unknown.length > 0) {
        throw new ConfigError(
          'loadtest options',
          unknown.map((f) => ({
            path: '--fault',
            message: `${f.process}: not one of ${PULSEWIRE_PROCESSES.join(', ')}`,
          })),
        )
      }
      const note = (line: string): void => {
        process.stderr.write(`${line}\n`)
      }
      const progress = createProgressWriter(process.stderr)
      const target = new PulsewireTarget({
        gateways: gatewayCount,
        deviceType: options.profile,
        keepData: keepData ?? false,
        log: note,
        cpuProfileDir: cpuProf === undefined ? undefined : resolve(cpuProf),
      })
      const controller = new AbortController()
      const stop = (): void => controller.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      let report: LoadReport
      try {
        report = await runLoadtest(options, target, {
          onProgress: (p) => progress.update(p),
          log: (line) => {
            progress.end()
            note(line)
          },
          signal: controller.signal,
          command: ['pulsewire', ...process.argv.slice(2)].join(' '),
        })
      } finally {
        progress.end()
        process.removeListener('SIGINT', stop)
        process.removeListener('SIGTERM', stop)
      }
      const file = writeResultFile(report, out)
      const html = writeHtmlBeside(file, renderLoadtestHtml(report))
      if (json) say(JSON.stringify(report, null, 2))
      else for (const line of formatReport(report)) say(line)
      note(`written to ${file} and ${html}`)
      process.exitCode = report.ok ? 0 : 1
    })
}
