// The scale of a fault-matrix test and where it leaves its figures (issue #14). `npm test` runs
// each row small; `npm run bench:faults` runs the same test bodies with PULSEWIRE_FAULT_SCALE=full
// and collects what each wrote to PULSEWIRE_FAULT_FIGURES into bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const FULL_SCALE = process.env.PULSEWIRE_FAULT_SCALE === 'full'

/** `small` under `npm test`, `full` under bench:faults. */
export const atScale = <T>(small: T, full: T): T => (FULL_SCALE ? full : small)

export type Figures = Record<string, number | string | boolean>

/**
 * Logs a row's figures and, under bench:faults, writes them to `<row>.json` for the report. A row
 * proved by several tests (storage and alerting for row 5) merges what each records.
 */
export function recordFigures(row: string, figures: Figures): void {
  console.info(`fault matrix ${row} (${FULL_SCALE ? 'full' : 'small'} scale)`, figures)
  const dir = process.env.PULSEWIRE_FAULT_FIGURES
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${row}.json`)
  const before = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { figures: Figures }).figures
    : {}
  const record = {
    row,
    scale: FULL_SCALE ? 'full' : 'small',
    at: new Date().toISOString(),
    figures: { ...before, ...figures },
  }
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
}
