import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs'
import { PipelineError, type ErrorCode } from '../errors.js'

/** How a child ended: its exit code, the signal that ended it, or 'spawn-error' (ENOENT and the like). */
export type ChildExit = number | NodeJS.Signals | 'spawn-error'

export interface ChildOptions {
  /** For messages: "gateway", "mosquitto". */
  name: string
  command: string
  args: readonly string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /**
   * 'pipe': output kept in memory (a test reads it). A log file: output appended to it, so no
   * pipe can fill up and stall a long-running child.
   */
  output: 'pipe' | { logFile: string }
  /**
   * Its own process group: Ctrl-C in the terminal reaches only the parent, which then stops
   * the child itself (a child stopped by the terminal would turn every interrupted run into a
   * fault). Stop signals go to the whole group.
   */
  detached?: boolean
}

export interface StopOptions {
  /** SIGTERM unless told (the peer's bridge drains on SIGTERM; Mosquitto too). */
  signal?: NodeJS.Signals
  /** How long the child may take to exit before SIGKILL. */
  graceMs: number
}

export interface Child {
  readonly name: string
  readonly pid: number
  /** Where its output goes, when not piped. */
  readonly logFile: string | undefined
  /** The node handle, for callers that signal the child directly. */
  readonly process: ChildProcess
  /** Resolves once the process is gone. */
  readonly exited: Promise<ChildExit>
  hasExited(): boolean
  /** Piped output, or the log file's text written since this child started. */
  stdout(): string
  stderr(): string
  /** Resolves when the output contains the text; rejects on timeout or exit, with the output. */
  waitFor(text: string, timeoutMs: number): Promise<void>
  /** The signal, then SIGKILL after the grace period; says whether it had to force it. */
  stop(options: StopOptions): Promise<{ forced: boolean; exit: ChildExit }>
  /** The deliberate fault: SIGKILL (no shutdown hooks, no flush); resolves once it is gone. */
  kill(): Promise<ChildExit>
  /** The last lines of its output, for error messages. */
  tail(lines?: number): string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a child process and keeps track of it until it is gone. */
export function spawnChild(options: ChildOptions): Child {
  const { name, output } = options
  const logFile = output === 'pipe' ? undefined : output.logFile
  const logStart = logFile && existsSync(logFile) ? statSync(logFile).size : 0
  const fd = logFile ? openSync(logFile, 'a') : undefined
  let child: ChildProcess
  try {
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
      detached: options.detached ?? false,
    })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  const pid = child.pid
  let done = false
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true
      resolve(code ?? signal ?? 'spawn-error')
    })
    // A spawn error (ENOENT) emits 'error' and possibly no 'exit'.
    child.once('error', () => {
      done = true
      resolve('spawn-error')
    })
  })
  if (pid === undefined) {
    throw new PipelineError('STACK_START_FAILED', `${name}: could not spawn ${options.command}`)
  }
  const logText = (): string => {
    if (!logFile) return ''
    try {
      return readFileSync(logFile).subarray(logStart).toString('utf8')
    } catch {
      return ''
    }
  }
  const signal = (sig: NodeJS.Signals): void => {
    try {
      // The negative PID is the process group the detached child leads.
      process.kill(options.detached ? -pid : pid, sig)
    } catch {
      // Gone already: `exited` settles (or has settled).
    }
  }
  const text = (): string => (logFile ? logText() : `${out}\n${err}`)
  const handle: Child = {
    name,
    pid,
    logFile,
    process: child,
    exited,
    hasExited: () => done,
    stdout: () => (logFile ? logText() : out),
    stderr: () => (logFile ? '' : err),
    tail: (lines = 25) => text().trimEnd().split('\n').slice(-lines).join('\n') || '(no output)',
    async waitFor(wanted, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (!text().includes(wanted)) {
        if (done) throw new Error(`${name} exited (${String(await exited)}) before "${wanted}":\n${text()}`)
        if (Date.now() > deadline) throw new Error(`"${wanted}" not seen within ${timeoutMs} ms:\n${text()}`)
        await sleep(50)
      }
    },
    async stop({ signal: sig = 'SIGTERM', graceMs }) {
      if (done) return { forced: false, exit: await exited }
      signal(sig)
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
      )
      const first = await Promise.race([exited, timedOut])
      clearTimeout(timer)
      if (first !== 'timeout') return { forced: false, exit: first }
      signal('SIGKILL')
      return { forced: true, exit: await exited }
    },
    async kill() {
      if (!done) signal('SIGKILL')
      return exited
    },
  }
  return handle
}

export interface WaitReadyOptions {
  timeoutMs: number
  intervalMs?: number
  /** The code of the error when it exits or times out (STACK_START_FAILED unless told). */
  code?: ErrorCode
}

/** Polls a readiness probe (its own account of being ready); fails with the output's tail if it dies or times out. */
export async function waitReady(
  child: Child,
  probe: () => Promise<boolean> | boolean,
  options: WaitReadyOptions,
): Promise<void> {
  const code = options.code ?? 'STACK_START_FAILED'
  const log = child.logFile ? `; log ${child.logFile}` : ''
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    if (child.hasExited()) {
      throw new PipelineError(
        code,
        `${child.name} exited during start-up (${String(await child.exited)})${log}:\n${child.tail(15)}`,
      )
    }
    if (await probe()) return
    if (Date.now() > deadline) {
      throw new PipelineError(
        code,
        `${child.name} not ready within ${options.timeoutMs} ms${log}:\n${child.tail(15)}`,
      )
    }
    await sleep(options.intervalMs ?? 100)
  }
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log written)'
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}
