import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { findRepoRoot } from '../../core/repo-root.js'

export const repoRoot = findRepoRoot(import.meta.url)
const cliPath = resolve(repoRoot, 'dist/cli/main.js')

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the built `pulsewire` CLI exactly as a user would (the test command builds it first). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): CliResult {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run "npm run build" first`)
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
