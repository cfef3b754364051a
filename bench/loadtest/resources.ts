import { cpuSeconds, rssBytes } from '../proc-stats.js'
import type { LoadTargetProcess } from './target.js'

/** CPU and memory of one process role over a run (a restarted process keeps its role). */
export interface ProcessUsage {
  name: string
  pids: number[]
  restarts: number
  /** CPU used during the load window, % of one core. */
  cpuPercent: number
  /** CPU from the load's start until everything was stored, seconds. */
  cpuSeconds: number
  /** cpuSeconds per message offered, µs: the cost figure performance.md asks for. */
  usPerMessage: number
  rssPeakMb: number
  rssEndMb: number
}

interface Role {
  name: string
  pids: number[]
  pid: number
  /** CPU of earlier incarnations (before a crash), seconds. */
  carried: number
  /** CPU of the current incarnation when measuring started (0 for a restarted one). */
  baseline: number
  lastCpu: number
  atLoadEnd: number | undefined
  rssPeak: number
  rssLast: number
  /** CPU used when `cpuWindow` was last called, seconds. */
  atWindow: number
}

const read = <T>(f: () => T): T | undefined => {
  try {
    return f()
  } catch {
    return undefined // the process has exited
  }
}

/**
 * Samples /proc once a second for every process of the target and for the load generator
 * itself. CPU is cumulative, so a sample only matters at the edges of the windows; RSS is a
 * peak, so it is sampled throughout.
 */
export class ResourceMonitor {
  readonly #roles = new Map<string, Role>()
  #timer: NodeJS.Timeout | undefined

  constructor(processes: readonly LoadTargetProcess[]) {
    for (const p of processes) this.#add(p.name, p.pid)
  }

  #add(name: string, pid: number): void {
    const cpu = read(() => cpuSeconds(pid)) ?? 0
    const rss = read(() => rssBytes(pid)) ?? 0
    this.#roles.set(name, {
      name,
      pids: [pid],
      pid,
      carried: 0,
      baseline: cpu,
      lastCpu: cpu,
      atLoadEnd: undefined,
      rssPeak: rss,
      rssLast: rss,
      atWindow: 0,
    })
  }

  start(): void {
    this.#timer = setInterval(() => this.sample(), 1_000)
    this.#timer.unref()
  }

  sample(): void {
    for (const role of this.#roles.values()) {
      const cpu = read(() => cpuSeconds(role.pid))
      if (cpu !== undefined) role.lastCpu = cpu
      const rss = read(() => rssBytes(role.pid))
      if (rss !== undefined) {
        role.rssLast = rss
        role.rssPeak = Math.max(role.rssPeak, rss)
      }
    }
  }

  /** A role's process was restarted as `pid`: its CPU from birth counts (a restart's cost is part of the fault). */
  replaced(name: string, pid: number): void {
    const role = this.#roles.get(name)
    if (!role) return
    this.sample()
    role.carried += role.lastCpu - role.baseline
    role.pid = pid
    role.pids.push(pid)
    role.baseline = 0
    role.lastCpu = read(() => cpuSeconds(pid)) ?? 0
  }

  /** CPU of each role since the previous call (or the start), % of one core over `seconds`. */
  cpuWindow(seconds: number): Record<string, number> {
    this.sample()
    const out: Record<string, number> = {}
    for (const role of this.#roles.values()) {
      const used = this.#used(role)
      out[role.name] = ((used - role.atWindow) / Math.max(0.001, seconds)) * 100
      role.atWindow = used
    }
    return out
  }

  #used(role: Role): number {
    return role.carried + role.lastCpu - role.baseline
  }

  markLoadEnd(): void {
    this.sample()
    for (const role of this.#roles.values()) role.atLoadEnd = this.#used(role)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.sample()
  }

  usage(messages: number, loadSeconds: number): ProcessUsage[] {
    const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10
    return [...this.#roles.values()].map((role) => {
      const total = this.#used(role)
      return {
        name: role.name,
        pids: role.pids,
        restarts: role.pids.length - 1,
        cpuPercent: Math.round(((role.atLoadEnd ?? total) / Math.max(0.001, loadSeconds)) * 100 * 10) / 10,
        cpuSeconds: Math.round(total * 100) / 100,
        usPerMessage: messages > 0 ? Math.round((total * 1e6) / messages) : 0,
        rssPeakMb: mb(role.rssPeak),
        rssEndMb: mb(role.rssLast),
      }
    })
  }
}
