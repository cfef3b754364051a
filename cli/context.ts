import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig } from '../core/config/load.js'
import { findRepoRoot } from '../core/repo-root.js'
import { stackConfigSchema, type StackConfig } from '../deploy/local/config.js'

export const repoRoot = (): string => findRepoRoot(import.meta.url)

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(resolve(repoRoot(), 'package.json'), 'utf8')) as {
    version: string
  }
  return manifest.version
}

/** Stack settings: `--config FILE`, else PULSEWIRE_STACK_CONFIG, else defaults; then PULSEWIRE__* overrides. */
export function loadStackConfig(file: string | undefined): StackConfig {
  return loadConfig({
    schema: stackConfigSchema,
    file: file ?? process.env.PULSEWIRE_STACK_CONFIG,
    env: process.env,
  })
}

export const say = (line: string): void => {
  process.stdout.write(`${line}\n`)
}
