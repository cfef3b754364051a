import {
  encodeTelemetry,
  type TelemetryEnvelope,
  type TelemetrySample,
} from '../../core/telemetry/envelope.js'
import type { SimDevice } from '../profiles/profile.js'
import type { Rng } from '../rng.js'
import type { ScenarioInstance } from '../scenarios/scenario.js'
import { mergeSignalEffects, mergeTransportEffects } from './effects.js'
import type { Ledger } from './ledger.js'
import type { DeviceTransport } from './mqtt-transport.js'

export interface DeviceLoopOptions {
  sim: SimDevice
  scenarios: readonly ScenarioInstance[]
  transport: DeviceTransport
  ledger: Ledger
  rng: Rng
  bootId: string
  reportsPerPublish: number
  /** Backfill after an outage goes out in publishes of at most this many samples. */
  backfillSamplesPerPublish?: number
  /** Ground-truth tap, see FleetRunOptions.onSamples. */
  onSamples?: SamplesTap | undefined
}

/**
 * Sees every sample as the device generated it: true time, before clock skew and before any
 * transport fault decides whether it is sent. Called synchronously; copy what you keep.
 */
export type SamplesTap = (deviceId: string, samples: readonly TelemetrySample[]) => void

export interface DeviceLoop {
  /** One report interval of the device at true time `dueMs`; returns when it is due next. */
  tick(dueMs: number): number
  /** At the end of a run: sends a publish held back for reordering, so nothing counted as published stays unsent. */
  flush(): void
}

/**
 * A device's firmware loop: sample its sensors, apply the scenarios, batch, number each publish
 * with a per-boot sequence, and hand it to the transport. Faults the scenarios ask for
 * (outage with store-and-forward, clock skew, duplicates, reordering, malformed bytes) are
 * injected here and recorded in the ledger so a later reconciliation knows what to expect.
 */
export function createDeviceLoop(options: DeviceLoopOptions): DeviceLoop {
  const { sim, scenarios, transport, ledger, rng } = options
  const range = ledger.range(sim.deviceId, options.bootId)
  const backfillChunk = options.backfillSamplesPerPublish ?? 300
  let seq = 0
  let lastTickMs: number | undefined
  let pending: TelemetrySample[] = []
  let reportsInBatch = 0
  let offline = false
  let stored: TelemetrySample[] = []
  let held: Uint8Array | undefined

  /** `primary`: the reading's own publish; extras (duplicates, malformed) are counted apart. */
  function send(bytes: Uint8Array, primary = true): void {
    ledger.sending()
    transport.publish(bytes).then(
      () => ledger.settled(range, primary, true),
      () => ledger.settled(range, primary, false),
    )
  }

  function publish(
    samples: TelemetrySample[],
    deviceNowMs: number,
    probabilities: ReturnType<typeof mergeTransportEffects>,
  ): void {
    seq++
    const envelope: TelemetryEnvelope = {
      deviceId: sim.deviceId,
      bootId: options.bootId,
      seq,
      deviceTsMs: deviceNowMs,
      deviceType: sim.type,
      status: sim.status(deviceNowMs),
      samples,
    }
    const bytes = encodeTelemetry(envelope)
    ledger.published(range, seq, samples.length, samples.filter((s) => s.backfill).length)
    if (rng.next() < probabilities.malformedProbability) {
      ledger.malformed(range)
      send(malformedBytes(bytes, rng), false)
    }
    if (rng.next() < probabilities.reorderProbability && held === undefined) {
      held = bytes // goes out after the next publish
      ledger.reordered(range)
      return
    }
    send(bytes)
    if (held) {
      send(held)
      held = undefined
    }
    if (rng.next() < probabilities.duplicateProbability) {
      ledger.duplicate(range)
      send(bytes, false)
    }
  }

  return {
    flush() {
      if (held) send(held)
      held = undefined
    },
    tick(dueMs) {
      for (const scenario of scenarios) {
        for (const event of scenario.events(lastTickMs ?? dueMs - 1, dueMs)) ledger.groundTruth(event)
      }
      lastTickMs = dueMs
      const signal = mergeSignalEffects(scenarios.map((s) => s.signal(dueMs)))
      const transportFx = mergeTransportEffects(scenarios.map((s) => s.transport(dueMs)))
      // Clock skew changes what the device writes as time, not when it measures: sampling runs
      // on true time and only the timestamps carry the offset.
      const deviceNowMs = dueMs + transportFx.clockOffsetMs
      const samples = sim.sample(dueMs, signal)
      options.onSamples?.(sim.deviceId, samples)
      if (transportFx.clockOffsetMs !== 0) for (const s of samples) s.tsMs += transportFx.clockOffsetMs

      if (transportFx.offline) {
        if (!offline) transport.dropConnection()
        offline = true
        // Store-and-forward firmware keeps what it measured; other devices lose it (ground truth says so).
        if (transportFx.backfill) stored.push(...samples.map((s) => ({ ...s, backfill: true })))
        return dueMs + sim.reportIntervalMs
      }
      if (offline) {
        offline = false
        transport.restoreConnection()
        for (let i = 0; i < stored.length; i += backfillChunk) {
          publish(stored.slice(i, i + backfillChunk), deviceNowMs, transportFx)
        }
        stored = []
      }
      pending.push(...samples)
      reportsInBatch++
      if (reportsInBatch >= options.reportsPerPublish && pending.length > 0) {
        publish(pending, deviceNowMs, transportFx)
        pending = []
        reportsInBatch = 0
      }
      return dueMs + sim.reportIntervalMs
    },
  }
}

/** Three kinds of broken payload a gateway must survive: truncated, garbage, and a lying length prefix. */
function malformedBytes(valid: Uint8Array, rng: Rng): Uint8Array {
  const kind = rng.int(0, 2)
  if (kind === 0 && valid.length > 8) return valid.subarray(0, valid.length - 3)
  if (kind === 1) return Uint8Array.from({ length: rng.int(8, 64) }, () => rng.int(0, 255))
  return Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x41, 0x42])
}
