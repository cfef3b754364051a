import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { PipelineError } from '../errors.js'

/** A server started in the background that outlives its starter and is later stopped by its PID file. */
export interface ManagedProcess {
  name: string
  pidFile: string
  logFile: string
  /** A string that must appear in /proc/PID/cmdline, so a recycled PID is never killed. */
  marker: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

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

/** Whether the PID is a process whose command line carries the marker (not a recycled PID). */
export function isOurs(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)
  } catch {
    return false
  }
}

/** Starts the server detached, output appended to its log file, and writes its PID file. */
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

/**
 * SIGTERM, wait for a clean exit, then SIGKILL, and wait until it is gone (a process that is
 * not our child cannot be awaited, so it is polled). Returns true when the server had been running.
 */
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
