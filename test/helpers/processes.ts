import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './cli.js'

export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  /** Resolves when stdout or stderr contains the text. */
  waitFor(text: string, timeoutMs: number): Promise<void>
}

/** The built CLI as its own process (a gateway that can be SIGKILLed, a simulator measured apart). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (!out.includes(text) && !err.includes(text)) {
        if (Date.now() > deadline)
          throw new Error(`"${text}" not seen within ${timeoutMs} ms:\n${out}\n${err}`)
        if (child.exitCode !== null)
          throw new Error(`exited ${child.exitCode} before "${text}":\n${out}\n${err}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}
