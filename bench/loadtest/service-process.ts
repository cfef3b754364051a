import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { PipelineError } from '../../core/errors.js'

/** One Pulsewire process of a load target: `node dist/cli/main.js <args>`, its own ports and log file. */
export interface ServiceSpec {
  name: string
  /** Arguments after the CLI script, e.g. ['gateway', '-c', file]. */
  args: string[]
  /** Its /readyz port. */
  httpPort: number
  /** Ready only once its consumer group has partitions (the "rebalance assigned" log line). */
  waitForAssignment: boolean
}

export interface ServiceContext {
  cli: string
  cwd: string
  env: NodeJS.ProcessEnv
  logFile: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A TCP port nothing listens on right now (the OS picks it). */
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

/**
 * Starts, stops and kills one process by its PID, with its output appended to a log file
 * (no pipe that could fill up and stall it). Readiness is what an orchestrator would check:
 * /readyz, plus the consumer group's first assignment for processors.
 */
export class ServiceProcess {
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()

  constructor(
    readonly spec: ServiceSpec,
    readonly context: ServiceContext,
  ) {}

  get name(): string {
    return this.spec.name
  }

  get pid(): number {
    const pid = this.#child?.pid
    if (pid === undefined) throw new Error(`${this.name} is not running`)
    return pid
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const logStart = existsSync(this.context.logFile) ? statSync(this.context.logFile).size : 0
    const out = openSync(this.context.logFile, 'a')
    const exit: { code?: number | null } = {}
    try {
      const child = spawn(process.execPath, [this.context.cli, ...this.spec.args], {
        cwd: this.context.cwd,
        env: this.context.env,
        stdio: ['ignore', out, out],
        // Its own process group: Ctrl-C in the terminal reaches only the load tester, which
        // then drains and stops this process by PID (a process stopped by the terminal would
        // turn the end of every interrupted run into a fault).
        detached: true,
      })
      this.#child = child
      this.#exited = new Promise((resolve) =>
        child.once('exit', (code) => {
          exit.code = code
          resolve()
        }),
      )
    } finally {
      closeSync(out)
    }
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (exit.code !== undefined) throw this.#failure(`exited (${exit.code}) while starting`, logStart)
      // Assignment first, then /readyz: a processor that restores state after its assignment
      // (alerting) reports not-ready from that moment, so the order leaves no gap.
      const assigned = !this.spec.waitForAssignment || this.#assigned(logStart)
      if (assigned && (await this.#httpReady())) return
      if (Date.now() > deadline) throw this.#failure(`not ready within ${timeoutMs} ms`, logStart)
      await sleep(200)
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await this.#exited
    clearTimeout(timer)
  }

  /** The deliberate fault: SIGKILL (no shutdown hooks, no flush), then a fresh start. */
  async crash(timeoutMs = 60_000): Promise<void> {
    const child = this.#child
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await this.#exited
    }
    await this.start(timeoutMs)
  }

  async #httpReady(): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.spec.httpPort}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      })
      await response.body?.cancel()
      return response.status === 200
    } catch {
      return false
    }
  }

  #assigned(logStart: number): boolean {
    const text = this.#logSince(logStart)
    return text.split('\n').some((line) => {
      if (!line.includes('"rebalance"') || !line.includes('"assigned"')) return false
      try {
        return ((JSON.parse(line) as { partitions?: number }).partitions ?? 0) > 0
      } catch {
        return false
      }
    })
  }

  #logSince(offset: number): string {
    try {
      return readFileSync(this.context.logFile).subarray(offset).toString('utf8')
    } catch {
      return ''
    }
  }

  #failure(what: string, logStart: number): PipelineError {
    const tail = this.#logSince(logStart).trimEnd().split('\n').slice(-15).join('\n')
    return new PipelineError(
      'LOADTEST_TARGET_FAILED',
      `${this.name} ${what}; log ${this.context.logFile}:\n${tail}`,
    )
  }
}
