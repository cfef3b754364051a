import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs'
import { createConnection } from 'node:net'
import { dirname } from 'node:path'
import { PipelineError } from '../../core/errors.js'

/** A server the stack starts in the background and later stops by its PID file. */
export interface ManagedProcess {
  name: string
  pidFile: string
  logFile: string
  /** A string that must appear in /proc/PID/cmdline, so a recycled PID is never killed. */
  marker: string
}

export function readPid(proc: ManagedProcess): number | undefined {
  if (!existsSync(proc.pidFile)) return undefined
  const pid = Number(readFileSync(proc.pidFile, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** The PID of the running server, or undefined (a stale PID file is removed). */
export function runningPid(proc: ManagedProcess): number | undefined {
  const pid = readPid(proc)
  if (pid === undefined) return undefined
  if (isOurs(pid, proc.marker)) return pid
  rmSync(proc.pidFile, { force: true })
  return undefined
}

function isOurs(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)
  } catch {
    return false
  }
}

export function startDetached(
  proc: ManagedProcess,
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): number {
  mkdirSync(dirname(proc.pidFile), { recursive: true })
  mkdirSync(dirname(proc.logFile), { recursive: true })
  const out = openSync(proc.logFile, 'a')
  try {
    // Detached with its own process group: it outlives `pulsewire stack up`, and Ctrl-C in the
    // terminal that started it does not reach it (only `stack down` does).
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: env ?? process.env,
    })
    if (child.pid === undefined) {
      throw new PipelineError('STACK_START_FAILED', `${proc.name}: could not spawn ${command}`)
    }
    child.unref()
    writeFileSync(proc.pidFile, `${child.pid}\n`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch {
    return false
  }
}

function isZombie(pid: number): boolean {
  try {
    return /\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** SIGTERM, wait for a clean exit, then SIGKILL. Returns true when the server had been running. */
export async function stopByPid(proc: ManagedProcess, graceMs: number): Promise<boolean> {
  const pid = runningPid(proc)
  if (pid === undefined) return false
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(200)
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL')
    while (isAlive(pid)) await sleep(100)
  }
  rmSync(proc.pidFile, { force: true })
  return true
}

export function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log written)'
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host })
    socket.setTimeout(1_000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Runs a set-up command to completion; on failure the error carries its output's tail. */
export function runOrThrow(
  what: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): void {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n')
    throw new PipelineError(
      'STACK_INSTALL_FAILED',
      `${what} failed (${command} exited ${result.status ?? result.error?.message}):\n${output}`,
      {
        cause: result.error,
      },
    )
  }
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
