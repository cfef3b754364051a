import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { findRepoRoot } from '../../core/repo-root.js'
import type { LoadReport } from './report.js'

/**
 * Where a run's JSON goes: `out` as a file, or as a directory (existing, or written with a
 * trailing slash) to hold `loadtest-<timestamp>.json`; by default bench/results/ in the repo,
 * one file per run so results accumulate rather than overwrite.
 */
export function resultFilePath(
  out: string | undefined,
  report: Pick<LoadReport, 'startedAt' | 'target'>,
): string {
  const stamp = report.startedAt.slice(0, 19).replaceAll(':', '')
  const name =
    report.target === 'pulsewire' ? `loadtest-${stamp}.json` : `loadtest-${report.target}-${stamp}.json`
  if (out === undefined) return join(findRepoRoot(import.meta.url), 'bench/results', name)
  const path = resolve(out)
  const isDir = out.endsWith('/') || (existsSync(path) && statSync(path).isDirectory())
  return isDir ? join(path, name) : path
}

/** Writes the report as JSON and returns the file written. */
export function writeResultFile(report: LoadReport, out?: string): string {
  const file = resultFilePath(out, report)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}

/** The HTML report's file beside a JSON result: same name, `.html`. */
export function htmlPathFor(jsonFile: string): string {
  return jsonFile.endsWith('.json') ? `${jsonFile.slice(0, -'.json'.length)}.html` : `${jsonFile}.html`
}

/** Writes a rendered HTML report beside the JSON result `jsonFile`; returns the file written. */
export function writeHtmlBeside(jsonFile: string, html: string): string {
  const file = htmlPathFor(jsonFile)
  writeFileSync(file, html)
  return file
}
