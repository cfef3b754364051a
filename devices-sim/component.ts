import { systemClock } from '../core/clock.js'
import type { Component } from '../core/lifecycle.js'
import type { Fleet } from './fleet/fleet-file.js'
import { runFleet, type FleetReport } from './runtime/fleet-runner.js'
import type { ProgressSnapshot } from './runtime/progress.js'

/** A fleet run as a lifecycle component, for `pulsewire up` (which stops it with everything else). */
export function createSimComponent(options: {
  fleet: Fleet
  credentials: Readonly<Record<string, string>>
  onProgress: (snapshot: ProgressSnapshot) => void
}): Component & { report(): Promise<FleetReport> | undefined } {
  const controller = new AbortController()
  let running: Promise<FleetReport> | undefined
  return {
    name: 'device-simulator',
    start() {
      running = runFleet({
        fleet: options.fleet,
        clock: systemClock,
        signal: controller.signal,
        credentials: options.credentials,
        onProgress: options.onProgress,
        drainTimeoutMs: 10_000,
      })
      return Promise.resolve()
    },
    async stop() {
      controller.abort()
      await running
    },
    report: () => running,
  }
}
