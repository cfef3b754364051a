import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { spawnChild } from '../../core/process/child-process.js'
import { repoRoot } from './cli.js'

export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>
  /** Resolves when stdout or stderr contains the text. */
  waitFor(text: string, timeoutMs: number): Promise<void>
}

/** The built CLI as its own process (a gateway that can be SIGKILLed, a simulator measured apart). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const cli = spawnChild({
    name: `pulsewire ${args[0] ?? ''}`,
    command: process.execPath,
    args: [join(repoRoot, 'dist/cli/main.js'), ...args],
    cwd: repoRoot,
    env: { ...process.env, ...env },
    output: 'pipe',
  })
  return {
    child: cli.process,
    stdout: () => cli.stdout(),
    stderr: () => cli.stderr(),
    exited: cli.exited.then((exit) => (typeof exit === 'number' ? exit : null)),
    waitFor: (text, timeoutMs) => cli.waitFor(text, timeoutMs),
  }
}
