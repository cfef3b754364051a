import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { formatProgress } from '../../devices-sim/runtime/progress.js'
import { formatScore } from '../../bench/score/report.js'
import { DEFAULT_SCORE_FLEET, runScore } from '../../bench/score/score-run.js'
import { DEFAULT_RULES_FILE } from '../../processors/alerting/rules/rule-set.js'
import { repoRoot } from '../context.js'

interface ScoreFlags {
  duration: number
  rules: string
  json?: boolean
  out?: string
  keep?: boolean
}

/**
 * `pulsewire score`: the alarm-quality report (issue #9). A fleet with ground truth through the
 * real gateway, Kafka and alerting; what was injected against what alarmed. Exit 0 when every
 * injected deterioration alarmed within its condition delay + 1 s and no artefact-only device
 * raised a high-priority alarm, 1 otherwise.
 */
export function registerScore(program: Command): void {
  program
    .command('score')
    .description(
      'Alarm-quality report: runs a fleet with ground truth through the real gateway, Kafka and alerting ' +
        '(on the local stack) and prints, per scenario, conditions injected, alarmed, time to alarm against ' +
        'the condition delay, unwanted alarms per device-hour and flaps. Exit 0: both checks pass; 1: not.',
    )
    .argument('[fleet]', 'fleet file (YAML) with the scenarios to score', DEFAULT_SCORE_FLEET)
    .option('-d, --duration <seconds>', 'how long the fleet runs', parsePositive, 360)
    .option(
      '--rules <file>',
      'alert rules alerting runs and the ground truth is derived from',
      DEFAULT_RULES_FILE,
    )
    .option('--json', 'the report as JSON on stdout (progress stays on stderr)')
    .option('--out <file>', 'also write the JSON report to this file')
    .option('--keep', 'keep the run directory (gateway and alerting configs and logs)')
    .action(async (fleetFile: string, flags: ScoreFlags) => {
      const live = process.stderr.isTTY === true
      let last = 0
      const interrupted = new AbortController()
      const stop = (): void => interrupted.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const report = await runScore({
        signal: interrupted.signal,
        root: repoRoot(),
        fleetFile,
        rulesFile: flags.rules,
        durationS: flags.duration,
        env: process.env,
        keep: flags.keep ?? false,
        log: (line) => process.stderr.write(`${live ? '\r\x1b[2K' : ''}${line}\n`),
        onProgress: (s) => {
          if (live) process.stderr.write(`\r\x1b[2Kscore  ${formatProgress(s)}`)
          else if (s.elapsedS - last >= 10) {
            last = s.elapsedS
            process.stderr.write(`score  ${formatProgress(s)}\n`)
          }
        },
      })
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
      if (live) process.stderr.write('\n')
      const json = `${JSON.stringify(report, null, 2)}\n`
      if (flags.out) writeFileSync(flags.out, json)
      if (flags.json) process.stdout.write(json)
      else {
        process.stdout.write(
          `Alarm quality: ${fleetFile}, ${report.durationS} s, rules ${report.rulesFile}, ` +
            `${report.machine.nproc} CPUs, ${report.machine.date}\n\n`,
        )
        const unscored = report.unscored.map((u) => `${u.ruleId} not scored: ${u.why}`)
        process.stdout.write(formatScore(report, [...report.notes, ...unscored]))
      }
      process.exitCode = report.checks.deteriorations.pass && report.checks.artefactHigh.pass ? 0 : 1
    })
}

function parsePositive(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number, got "${value}"`)
  return n
}
