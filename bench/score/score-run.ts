import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import type { AlertEvent } from '../../core/alerts/alert-event.js'
import { systemClock } from '../../core/clock.js'
import { kafkaSchema } from '../../core/config/shared.js'
import type { KnownDeviceType } from '../../core/telemetry/device-types.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { loadFleetFile, type Fleet } from '../../devices-sim/fleet/fleet-file.js'
import { planDevices, runFleet } from '../../devices-sim/runtime/fleet-runner.js'
import type { ProgressSnapshot } from '../../devices-sim/runtime/progress.js'
import type { GroundTruthEvent } from '../../devices-sim/scenarios/scenario.js'
import { fineClock } from '../loadtest/open-loop.js'
import { createAlertTap } from '../loadtest/taps.js'
import { loadScoreRules } from './conditions.js'
import { DETERIORATION_SCENARIOS, scoreRun, type ScoredDevice, type ScoreResult } from './match.js'
import { startScoreTarget } from './score-target.js'
import { createTruthRecorder, eventTruth } from './truth.js'

export const DEFAULT_SCORE_FLEET = 'deploy/fleets/ward-score.yaml'

export interface ScoreOptions {
  root: string
  fleetFile: string
  rulesFile: string
  durationS: number
  env: NodeJS.ProcessEnv
  keep?: boolean
  log: (line: string) => void
  onProgress?: (snapshot: ProgressSnapshot) => void
  /** Ends the fleet early (Ctrl-C): what ran is scored, and the processes are stopped. */
  signal?: AbortSignal
}

export interface ScoreReport extends ScoreResult {
  fleet: string
  rulesFile: string
  machine: { nproc: number; date: string }
  unscored: { ruleId: string; ruleType: string; why: string }[]
  notes: string[]
}

/** Device ids unique to this run: the channels are shared, so nobody else's alarms are scored. */
function isolate(fleet: Fleet, prefix: string): Fleet {
  return { ...fleet, groups: fleet.groups.map((g) => ({ ...g, idPrefix: `${prefix}${g.idPrefix}` })) }
}

/** Which scenarios each device runs: the first `devices` of its group, as the fleet runner does. */
function devicesOf(fleet: Fleet): { deviceId: string; type: KnownDeviceType; scenarios: string[] }[] {
  const planned = planDevices(fleet)
  return planned.map(({ deviceId, groupIndex }) => {
    const group = fleet.groups[groupIndex]
    const index = planned.filter((d) => d.groupIndex === groupIndex).findIndex((d) => d.deviceId === deviceId)
    return {
      deviceId,
      type: group?.profile.type as KnownDeviceType,
      scenarios: (group?.scenarios ?? []).filter((s) => index < s.devices).map((s) => s.scenario.type),
    }
  })
}

function deterioratingFrom(events: readonly GroundTruthEvent[], deviceId: string): number | undefined {
  const starts = events
    .filter((e) => e.deviceId === deviceId && DETERIORATION_SCENARIOS.includes(e.scenario))
    .map((e) => e.atMs)
  return starts.length === 0 ? undefined : Math.min(...starts)
}

/**
 * One scored run: the real gateway and alerting, the fleet with its ground truth, the alert
 * stream read from its end, then the match of one against the other.
 */
export async function runScore(options: ScoreOptions): Promise<ScoreReport> {
  const rules = loadScoreRules(resolve(options.root, options.rulesFile))
  const prefix = `sc${randomBytes(2).toString('hex')}-`
  const fleet = isolate(loadFleetFile(resolve(options.root, options.fleetFile)), prefix)
  const devices = devicesOf(fleet)
  const typeOf = new Map(devices.map((d) => [d.deviceId, d.type]))
  const kafka = kafkaSchema.parse({ brokers: options.env.PULSEWIRE__KAFKA__BROKERS })
  const target = await startScoreTarget({
    root: options.root,
    kafka,
    devices: devices.map((d) => ({ deviceId: d.deviceId, type: d.type })),
    rulesFile: resolve(options.root, options.rulesFile),
    env: options.env,
    keep: options.keep ?? false,
    log: options.log,
  })
  const events: AlertEvent[] = []
  let lastAlertAt = Date.now()
  const tap = createAlertTap(
    {
      brokers: kafka.brokers,
      topics: [CHANNELS.alertEvents],
      devices: new Map(devices.map((d, i) => [d.deviceId, i])),
      clock: fineClock,
    },
    (_device, event) => {
      events.push(event)
      lastAlertAt = Date.now()
    },
  )
  const recorder = createTruthRecorder(rules, (id) => typeOf.get(id))
  const notes: string[] = []
  let startMs: number | undefined
  let endMs: number | undefined
  let groundTruth: readonly GroundTruthEvent[] = []
  try {
    await tap.start()
    options.log(`score: ${devices.length} devices for ${options.durationS} s (${options.fleetFile})`)
    startMs = Date.now()
    // The run ends at a known instant (the duration, or Ctrl-C): transitions after it, such as
    // the devices' own disconnects, are not scored.
    const stop = new AbortController()
    const end = (): void => {
      endMs ??= Date.now()
      stop.abort()
    }
    const timer = setTimeout(end, options.durationS * 1000)
    options.signal?.addEventListener('abort', end, { once: true })
    const { ledger, final } = await runFleet({
      fleet: { ...fleet, mqtt: { ...fleet.mqtt, url: target.mqttUrl } },
      clock: systemClock,
      signal: stop.signal,
      credentials: target.credentials,
      onSamples: (deviceId, samples) => recorder.samples(deviceId, samples),
      onProgress: options.onProgress,
      drainTimeoutMs: 10_000,
    })
    clearTimeout(timer)
    groundTruth = ledger.events()
    if (ledger.totals.acked < ledger.totals.published)
      notes.push(`${ledger.totals.published - ledger.totals.acked} publishes not acknowledged`)
    options.log(`score: fleet done (${final.published} publishes); waiting for alerting to catch up`)
    if (!(await target.caughtUp(60_000)))
      notes.push('alerting had not caught up after 60 s: late alarms may be missing')
    // The alert events of the last records: a tap quiet for 2 s has read what alerting wrote.
    while (Date.now() - lastAlertAt < 2_000) await new Promise((r) => setTimeout(r, 250))
  } finally {
    await tap.stop()
    await target.stop()
  }
  if (startMs === undefined || endMs === undefined) throw new Error('the fleet never started')
  const truth = [...recorder.finish(), ...eventTruth(rules, groundTruth, (id) => typeOf.get(id), endMs)]
  const scored: ScoredDevice[] = devices.map((d) => ({
    deviceId: d.deviceId,
    scenarios: d.scenarios,
    deterioratingFromMs: deterioratingFrom(groundTruth, d.deviceId),
  }))
  const lateHints = Object.fromEntries(
    rules.eventRules
      .filter((r) => r.ruleType === 'news2')
      .map((r) => [
        r.ruleId,
        `no condition delay, but its inputs are medians over ${(r.medianWindowMs ?? 0) / 1000} s of readings, so a band shows once the window holds enough of it`,
      ]),
  )
  const result = scoreRun({ devices: scored, truth, events, startMs, endMs, lateHints })
  // Device ids without the run prefix: the report reads like the fleet file.
  const strip = <T extends { deviceId: string }>(x: T): T => ({
    ...x,
    deviceId: x.deviceId.slice(prefix.length),
  })
  return {
    ...result,
    conditions: result.conditions.map(strip),
    alarms: result.alarms.map(strip),
    rules: result.rules.map((r) => ({ ...r, ...(r.why && { why: r.why.replace(prefix, '') }) })),
    fleet: options.fleetFile,
    rulesFile: options.rulesFile,
    machine: { nproc: availableParallelism(), date: new Date(startMs).toISOString() },
    unscored: rules.unscored,
    notes,
  }
}
