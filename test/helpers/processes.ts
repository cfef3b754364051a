import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
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

/** A TCP port free right now, for a process that must be told its port (not told it after binding 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
