import { createProgressWriter } from '../../bench/loadtest/progress.js'
import { PulsewireTarget } from '../../bench/loadtest/pulsewire-target.js'
import { formatStep, formatVerdict } from '../../bench/loadtest/capacity/format.js'
import { runCapacitySearch, writeCapacityReport } from '../../bench/loadtest/capacity/run-capacity.js'
import { ConfigError } from '../../core/errors.js'
import { writeHtmlBeside } from '../../bench/loadtest/results-file.js'
import { renderCapacityHtml } from '../../bench/report/capacity-html.js'
import { say } from '../context.js'
import type { LoadtestFlags } from './loadtest.js'

type CapacityFlags = Omit<
  LoadtestFlags,
  'findCapacity' | 'maxRate' | 'warmUpRate' | 'resolution' | 'ladderFactor' | 'maxSteps' | 'steady'
>

/** `pulsewire loadtest --find-capacity`: a verdict per step as it ends, the capacity at the end. */
export async function runCapacityCommand(
  flags: CapacityFlags,
  capacity: Record<string, string | undefined>,
): Promise<void> {
  const { fault, json, out, keepData, cpuProf, ...numbers } = flags
  if (cpuProf !== undefined) {
    throw new ConfigError('loadtest --find-capacity options', [
      { path: '--cpu-prof', message: 'profile one run at the rate of interest, not a search' },
    ])
  }
  const note = (line: string): void => {
    process.stderr.write(`${line}\n`)
  }
  const progress = createProgressWriter(process.stderr)
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const report = await runCapacitySearch(
      { ...numbers, faults: fault },
      capacity,
      (options) =>
        new PulsewireTarget({ deviceType: options.profile, keepData: keepData ?? false, log: note }),
      {
        onProgress: (p) => progress.update(p),
        log: (line) => {
          progress.end()
          note(line)
        },
        signal: controller.signal,
        command: ['pulsewire', ...process.argv.slice(2)].join(' '),
        onStep: (i, step) => {
          progress.end()
          for (const line of formatStep(i, step, step.report.options.samples, step.cpu)) note(line)
        },
      },
    )
    const file = writeCapacityReport(report, out)
    const html = writeHtmlBeside(file, renderCapacityHtml(report))
    if (json) say(JSON.stringify(report, null, 2))
    else say(formatVerdict(report.result, report.samples))
    note(`written to ${file} and ${html}`)
    process.exitCode = report.result.sustainedRate === null ? 1 : 0
  } finally {
    progress.end()
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}
