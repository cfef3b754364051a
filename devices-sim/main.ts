// `pulsewire sim`: composition root of the device simulator (wiring only).
import { resolve } from 'node:path'
import { readConfigFile } from '../core/config/load.js'
import { systemClock } from '../core/clock.js'
import { loadFleetFile } from './fleet/fleet-file.js'
import { formatProgress, type ProgressSnapshot } from './runtime/progress.js'
import { runFleet } from './runtime/fleet-runner.js'

export interface SimOptions {
  fleetFile: string
  durationS?: number | undefined
  url?: string | undefined
  credentialsFile?: string | undefined
  groundTruthFile?: string | undefined
  sentFile?: string | undefined
  json?: boolean | undefined
  out?: NodeJS.WritableStream
  err?: NodeJS.WritableStream & { isTTY?: boolean }
}

/** Runs a fleet until the duration ends or SIGINT/SIGTERM; returns the exit code. */
export async function runSim(options: SimOptions): Promise<number> {
  const out = options.out ?? process.stdout
  const err = options.err ?? process.stderr
  const fleet = loadFleetFile(options.fleetFile)
  const mqtt = { ...fleet.mqtt, url: options.url ?? fleet.mqtt.url }
  const credentialsFile = options.credentialsFile ?? fleet.mqtt.credentialsFile
  const credentials = credentialsFile
    ? (readConfigFile(resolve(credentialsFile)) as Record<string, string>)
    : undefined
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const live = err.isTTY === true
  let lastLine = 0
  const onProgress = (s: ProgressSnapshot): void => {
    if (options.json) out.write(`${JSON.stringify({ type: 'progress', ...s })}\n`)
    else if (live) err.write(`\r\x1b[2K${formatProgress(s)}`)
    else if (s.elapsedS - lastLine >= 5) {
      lastLine = s.elapsedS
      err.write(`${formatProgress(s)}\n`)
    }
  }
  try {
    const { final, ledger } = await runFleet({
      fleet: { ...fleet, mqtt },
      clock: systemClock,
      durationMs: options.durationS === undefined ? undefined : options.durationS * 1000,
      signal: controller.signal,
      credentials,
      groundTruthFile: options.groundTruthFile,
      sentFile: options.sentFile,
      onProgress,
    })
    const summary = { ...final, ...ledger.totals, groundTruthEvents: ledger.events().length }
    if (options.json) out.write(`${JSON.stringify({ type: 'summary', ...summary })}\n`)
    else {
      if (live) err.write('\n')
      out.write(`${formatProgress(final)}\n`)
      out.write(
        `sent ${summary.published} messages (${summary.samples} samples) from ${final.devices} devices; ` +
          `acknowledged ${summary.acked}; duplicates ${summary.duplicatesSent}, malformed ${summary.malformedSent} injected; ` +
          `${summary.groundTruthEvents} ground-truth events\n`,
      )
    }
    return summary.acked === summary.published && summary.publishErrors === 0 ? 0 : 1
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}
