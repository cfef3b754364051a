import { readFileSync } from 'node:fs'

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15)
  return ticks / 100 // USER_HZ is 100 on Linux
}

/** Resident set size of a process, bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  return Number(kb ?? 0) * 1024
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

export interface MachineFacts {
  cores: number
  cpuModel: string
  memGiB: number
  node: string
}

/** The machine a figure was measured on (Linux /proc). */
export function machineFacts(): MachineFacts {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0)
  return {
    cores: cpuinfo.match(/^processor/gm)?.length ?? 0,
    cpuModel: (/model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown CPU').trim(),
    memGiB: Math.round(memKb / 1024 / 1024),
    node: process.version,
  }
}

export function machine(): string {
  const m = machineFacts()
  return `${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB, Node.js ${m.node}`
}
