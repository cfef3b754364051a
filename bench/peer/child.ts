import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { PipelineError } from '../../core/errors.js'
import { sleep, tail } from '../../deploy/local/processes.js'

/** A server the peer runs as a child process, its output appended to a log file. */
export interface PeerChild {
  readonly name: string
  readonly pid: number
  readonly logFile: string
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>
  hasExited(): boolean
}

export function spawnLogged(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): PeerChild {
  const out = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(command, args, { stdio: ['ignore', out, out], env })
  } finally {
    closeSync(out)
  }
  const pid = child.pid
  if (pid === undefined) {
    throw new PipelineError('STACK_START_FAILED', `${name}: could not spawn ${command}`)
  }
  let done = false
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true
      resolve(code ?? signal ?? 'unknown')
    })
    // A spawn error (ENOENT) emits 'error' and possibly no 'exit'.
    child.once('error', () => {
      done = true
      resolve('spawn-error')
    })
  })
  return { name, pid, logFile, exited, hasExited: () => done }
}

/** Waits until the process is ready by its own account (a probe), or fails with its log tail. */
export async function waitReady(
  child: PeerChild,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.hasExited()) {
      throw new PipelineError(
        'STACK_START_FAILED',
        `${child.name} exited during start-up (${String(await child.exited)}):\n${tail(child.logFile)}`,
      )
    }
    if (await probe()) return
    if (Date.now() > deadline) {
      throw new PipelineError(
        'STACK_START_FAILED',
        `${child.name} not ready within ${timeoutMs} ms:\n${tail(child.logFile)}`,
      )
    }
    await sleep(100)
  }
}

/**
 * Stops a child by its PID: the given signal, then SIGKILL when it outlives the grace period.
 * Returns how it ended, so a caller can tell a clean exit from a forced one.
 */
export async function stopChild(
  child: PeerChild,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<{ forced: boolean; exit: number | string }> {
  if (child.hasExited()) return { forced: false, exit: await child.exited }
  process.kill(child.pid, signal)
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
  )
  const first = await Promise.race([child.exited.then((exit) => ({ exit })), timedOut])
  clearTimeout(timer)
  if (first !== 'timeout') return { forced: false, exit: first.exit }
  process.kill(child.pid, 'SIGKILL')
  return { forced: true, exit: await child.exited }
}
