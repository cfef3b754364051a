import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PipelineError } from '../../core/errors.js'
import {
  isAlive,
  isOurs,
  runningPid,
  startDetached,
  stopByPid,
  type ManagedProcess,
} from '../../core/process/pid-file.js'
import type { StackConfig, StackPaths } from './config.js'
import { portOpen } from './host.js'
import { waitUntilReady } from './kafka.js'
import { renderScrapeConfig } from './prometheus-config.js'

// Debian's Prometheus (/usr/bin/prometheus) as part of the local stack (ADR 0019): own data
// directory under the stack's state dir, bound to 127.0.0.1, started and stopped by PID file.

export interface PrometheusPaths {
  dir: string
  data: string
  configFile: string
  /** Present while the stack was brought up with --with-prometheus: later `stack up`s keep it. */
  enabledFile: string
}

export function prometheusPaths(paths: StackPaths): PrometheusPaths {
  const dir = resolve(paths.state, 'prometheus')
  return {
    dir,
    data: resolve(dir, 'data'),
    configFile: resolve(dir, 'prometheus.yml'),
    enabledFile: resolve(dir, 'enabled'),
  }
}

export function prometheusProcess(paths: StackPaths): ManagedProcess {
  const own = prometheusPaths(paths)
  return {
    name: 'prometheus',
    pidFile: resolve(paths.pids, 'prometheus.pid'),
    logFile: resolve(paths.logs, 'prometheus.log'),
    // The config file path is unique per state dir, so another stack's Prometheus is never ours.
    marker: own.configFile,
  }
}

export const prometheusUrl = (config: StackConfig): string => `http://127.0.0.1:${config.prometheus.port}`

export function prometheusEnabled(paths: StackPaths): boolean {
  return existsSync(prometheusPaths(paths).enabledFile)
}

async function ready(config: StackConfig): Promise<boolean> {
  const response = await fetch(`${prometheusUrl(config)}/-/ready`, { signal: AbortSignal.timeout(2_000) })
  return response.status === 200
}

/**
 * Starts Prometheus unless it runs already (a running one whose scrape config changed is told to
 * reload it, SIGHUP); records that the stack runs it. Resolves with whether this call started it.
 */
export async function startPrometheus(
  config: StackConfig,
  paths: StackPaths,
  log: (line: string) => void,
): Promise<boolean> {
  const settings = config.prometheus
  if (!existsSync(settings.binary)) {
    throw new PipelineError(
      'STACK_PREREQUISITE_MISSING',
      `--with-prometheus needs ${settings.binary} (Debian: apt-get install prometheus; deploy/scripts/setup.sh does it)`,
    )
  }
  const own = prometheusPaths(paths)
  const proc = prometheusProcess(paths)
  mkdirSync(own.data, { recursive: true })
  const scrapeConfig = renderScrapeConfig(settings)
  const changed = !existsSync(own.configFile) || readFileSync(own.configFile, 'utf8') !== scrapeConfig
  writeFileSync(own.configFile, scrapeConfig)
  writeFileSync(own.enabledFile, `${new Date().toISOString()}\n`)
  const pid = runningPid(proc)
  if (pid === undefined) {
    if (await portOpen(settings.port)) {
      throw new PipelineError(
        'STACK_PORT_IN_USE',
        `port ${settings.port} is taken by another program; stop it or set prometheus.port`,
      )
    }
    const started = startDetached(proc, settings.binary, [
      `--config.file=${own.configFile}`,
      `--storage.tsdb.path=${own.data}`,
      `--storage.tsdb.retention.time=${settings.retention}`,
      `--web.listen-address=127.0.0.1:${settings.port}`,
    ])
    await execDone(started, proc.marker)
  } else if (changed) {
    process.kill(pid, 'SIGHUP')
    log('prometheus scrape config changed; reloaded')
  }
  await waitUntilReady(proc, settings.readyTimeoutMs, () => ready(config))
  log(
    `prometheus ready on ${prometheusUrl(config)} (${settings.targets.length} targets every ${settings.scrapeIntervalSeconds} s, retention ${settings.retention})`,
  )
  return pid === undefined
}

/**
 * Until the child has exec'd, /proc/PID/cmdline is still node's: the PID check (`runningPid`) would
 * take it for a recycled PID and drop the PID file. Seen on a loaded machine.
 */
async function execDone(pid: number, marker: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!isOurs(pid, marker) && isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Stops it by PID; with `forget`, later `stack up`s no longer start it. */
export async function stopPrometheus(
  paths: StackPaths,
  log: (line: string) => void,
  options: { forget?: boolean } = {},
): Promise<void> {
  const proc = prometheusProcess(paths)
  const pid = runningPid(proc)
  if (await stopByPid(proc, 30_000)) log(`prometheus stopped (pid ${pid})`)
  if (options.forget) rmSync(prometheusPaths(paths).enabledFile, { force: true })
}

export async function prometheusStatus(
  config: StackConfig,
  paths: StackPaths,
): Promise<{ name: string; pid: number | undefined; address: string; ready: boolean; logFile: string }> {
  const proc = prometheusProcess(paths)
  const pid = runningPid(proc)
  return {
    name: 'prometheus',
    pid,
    address: prometheusUrl(config),
    ready: pid !== undefined && (await ready(config).catch(() => false)),
    logFile: proc.logFile,
  }
}
