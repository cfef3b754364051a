import { connect, createServer } from 'node:net'
import { spawnChild, waitReady, type Child } from '../../core/process/child-process.js'

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
  /** Flags for node itself (e.g. --cpu-prof, which NODE_OPTIONS does not take). */
  nodeArgs?: readonly string[]
}

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
 * One process of the target, started, stopped and killed through core/process (its output
 * appended to a log file, no pipe that could fill up and stall it). Readiness is what an
 * orchestrator would check: /readyz, plus the consumer group's first assignment for processors.
 */
export class ServiceProcess {
  #child: Child | undefined

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
    const child = spawnChild({
      name: this.name,
      command: process.execPath,
      args: [...(this.context.nodeArgs ?? []), this.context.cli, ...this.spec.args],
      cwd: this.context.cwd,
      env: this.context.env,
      output: { logFile: this.context.logFile },
      // Ctrl-C reaches only the load tester, which then drains and stops this process itself.
      detached: true,
    })
    this.#child = child
    // Assignment first, then /readyz: a processor that restores state after its assignment
    // (alerting) reports not-ready from that moment, so the order leaves no gap.
    await waitReady(
      child,
      async () => (!this.spec.waitForAssignment || assigned(child.stdout())) && (await this.#httpReady()),
      { timeoutMs, intervalMs: 200, code: 'LOADTEST_TARGET_FAILED' },
    )
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 15_000): Promise<void> {
    await this.#child?.stop({ graceMs })
  }

  /** The deliberate fault: SIGKILL (no shutdown hooks, no flush), then a fresh start. */
  async crash(timeoutMs = 60_000): Promise<void> {
    await this.#child?.kill()
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
}

/** Whether the log shows the consumer group's first assignment with partitions. */
function assigned(log: string): boolean {
  return log.split('\n').some((line) => {
    if (!line.includes('"rebalance"') || !line.includes('"assigned"')) return false
    try {
      // The rebalance line lists the partitions ("topic/n"); older builds logged only a count.
      const { partitions } = JSON.parse(line) as { partitions?: number | string[] }
      return (Array.isArray(partitions) ? partitions.length : (partitions ?? 0)) > 0
    } catch {
      return false
    }
  })
}

/** Resolves once a TCP connect to 127.0.0.1:port succeeds (polled), rejects after the timeout. */
export async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`no MQTT listener on port ${port} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
