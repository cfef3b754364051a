// `npm run bench:faults`: the fault matrix of issue #14 at full scale. Runs each row's integration
// test (the same body `npm test` runs small) with PULSEWIRE_FAULT_SCALE=full, collects the figures
// each test records, and writes bench/results/faults-<time>.json and the faults section of
// bench/RESULTS.md. A failing row is reported as failing, with whatever figures it recorded.
//   npm run bench:faults [-- --scale small|full] [--rows row1,row2] [--via '/work/it.sh']
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { findRepoRoot } from '../../core/repo-root.js'
import { machine } from '../proc-stats.js'
import { writeResultsBlock } from '../results-block.js'
import { FAULT_ROWS, renderFaults, type RowOutcome } from './rows.js'
import { ensureLocalStack } from '../local-stack.js'

const root = findRepoRoot(import.meta.url)
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'full' },
    rows: { type: 'string', default: '' },
    // A command that runs vitest on the given files (e.g. a runner that serialises test runs on a
    // shared machine); without it the local stack is brought up and vitest is run directly.
    via: { type: 'string', default: '' },
    'no-results-md': { type: 'boolean', default: false },
  },
})
if (values.scale !== 'full' && values.scale !== 'small') {
  process.stderr.write(`--scale must be full or small, not ${values.scale}\n`)
  process.exit(2)
}
const wanted = values.rows ? new Set(values.rows.split(',').map((r) => r.trim())) : undefined
const selected = (id: string): boolean =>
  !wanted || [...wanted].some((w) => id === w || id.startsWith(`${w}-`))
const log = (line: string): void => void process.stderr.write(`[faults] ${line}\n`)

if (!values.via) ensureLocalStack(root)

const figuresDir = mkdtempSync(join(tmpdir(), 'pulsewire-faults-'))
const report = join(figuresDir, 'vitest.json')
const files = [...new Set(FAULT_ROWS.filter((r) => selected(r.id)).flatMap((r) => r.files))]
// One vitest run (one stack, one lock on a shared machine); each file's result from its JSON report.
const args = ['--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files]
const command = values.via
  ? `${values.via} ${args.join(' ')}`
  : `npx vitest run --project integration ${args.join(' ')}`
log(`${files.length} test files at ${values.scale} scale (rows that do not scale run at their one scale)`)
const started = Date.now()
const run = spawnSync(command, {
  cwd: root,
  shell: true,
  stdio: 'inherit',
  env: { ...process.env, PULSEWIRE_FAULT_SCALE: values.scale, PULSEWIRE_FAULT_FIGURES: figuresDir },
})
const seconds = (Date.now() - started) / 1000
const fileResults = existsSync(report)
  ? (JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ name: string; status: string }> })
      .testResults
  : []
/** 0 when every file of the row passed, 1 when one failed or did not report. */
const statusOf = (rowFiles: readonly string[]): number =>
  rowFiles.every((f) => fileResults.some((r) => r.name.endsWith(f) && r.status === 'passed')) ? 0 : 1

const outcomes: RowOutcome[] = FAULT_ROWS.map((row) => {
  const ran = row.files.length > 0 && files.includes(row.files[0] ?? '')
  const figuresFile = join(figuresDir, `${row.figuresOf ?? row.id}.json`)
  const recorded = existsSync(figuresFile)
    ? (JSON.parse(readFileSync(figuresFile, 'utf8')) as { scale: string; figures: RowOutcome['figures'] })
    : undefined
  return {
    row,
    status: ran ? statusOf(row.files) : undefined,
    scale: recorded && (row.scales ? recorded.scale : 'test'),
    figures: recorded?.figures,
  }
})
rmSync(figuresDir, { recursive: true, force: true })

const stamp = new Date().toISOString().replace(/[:]/g, '').slice(0, 17)
const invocation = `npm run bench:faults -- --scale ${values.scale}${values.rows ? ` --rows ${values.rows}` : ''}`
mkdirSync(join(root, 'bench/results'), { recursive: true })
const resultFile = join(root, `bench/results/faults-${stamp}.json`)
writeFileSync(
  resultFile,
  `${JSON.stringify({ command: invocation, machine: machine(), seconds, exit: run.status, outcomes }, null, 2)}\n`,
)
if (!values['no-results-md']) {
  await writeResultsBlock(
    root,
    'faults',
    renderFaults(
      outcomes,
      invocation,
      `${new Date().toISOString().slice(0, 16)} UTC, ${Math.round(seconds)} s`,
    ),
  )
  log(`fault matrix written to bench/RESULTS.md and ${resultFile}`)
}
process.exit(run.status === 0 ? 0 : 1)
