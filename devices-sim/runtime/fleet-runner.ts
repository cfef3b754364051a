import { randomBytes } from 'node:crypto'
import type { Clock } from '../../core/clock.js'
import { parseGatewayList } from '../../core/gateway-list.js'
import type { Fleet } from '../fleet/fleet-file.js'
import { createRng } from '../rng.js'
import { createDeviceLoop, type DeviceLoop, type SamplesTap } from './device-loop.js'
import { Ledger } from './ledger.js'
import { createMqttTransport, type DeviceTransport } from './mqtt-transport.js'
import { createScheduler } from './scheduler.js'
import { createProgressMeter, type ProgressSnapshot } from './progress.js'

export interface FleetRunOptions {
  fleet: Fleet
  clock: Clock
  /** Stop after this long; run until `signal` aborts when absent. */
  durationMs?: number | undefined
  signal?: AbortSignal | undefined
  /** deviceId → password; devices without an entry connect without a password. */
  credentials?: Readonly<Record<string, string>> | undefined
  groundTruthFile?: string | undefined
  sentFile?: string | undefined
  /** Called about once a second with live figures. */
  onProgress?: (snapshot: ProgressSnapshot) => void
  /** How long to wait for outstanding acknowledgements at the end. */
  drainTimeoutMs?: number
  /** Every generated sample, per device, in true time (the alarm-quality score's ground truth). */
  onSamples?: SamplesTap
}

export interface FleetReport {
  final: ProgressSnapshot
  ledger: Ledger
}

export interface PlannedDevice {
  deviceId: string
  groupIndex: number
}

/** Device ids in fleet order: deterministic, so runs and reconciliations line up. */
export function planDevices(fleet: Fleet): PlannedDevice[] {
  return fleet.groups.flatMap((group, groupIndex) =>
    Array.from({ length: group.count }, (_, i) => ({
      deviceId: `${group.idPrefix}${String(i + 1).padStart(4, '0')}`,
      groupIndex,
    })),
  )
}

/** Runs a whole fleet from one scheduler until the duration ends or the signal aborts. */
export async function runFleet(options: FleetRunOptions): Promise<FleetReport> {
  const { fleet, clock } = options
  const ledger = new Ledger(options.groundTruthFile)
  const root = createRng(fleet.seed)
  const scheduler = createScheduler({ clock })
  const transports: DeviceTransport[] = []
  const loops: DeviceLoop[] = []
  const connected = new Set<string>()
  let errors = 0
  const events = {
    onConnect: (id: string) => connected.add(id),
    onDisconnect: (id: string) => connected.delete(id),
    onError: () => errors++,
  }
  const startMs = clock.now()
  const connectSpacingMs = 1000 / fleet.mqtt.connectRatePerSecond

  const gatewayUrls = parseGatewayList(fleet.mqtt.url)
  const planned = planDevices(fleet)
  const groupStart = fleet.groups.map((_, g) => planned.findIndex((d) => d.groupIndex === g))
  planned.forEach(({ deviceId, groupIndex }, index) => {
    const group = fleet.groups[groupIndex]!
    const rng = root.fork(deviceId)
    const connectAt = startMs + index * connectSpacingMs
    const sim = group.profile.create({
      deviceId,
      config: group.config,
      rng: rng.fork('signal'),
      startMs: connectAt,
    })
    const deviceIndex = index - (groupStart[groupIndex] ?? 0)
    const scenarios = group.scenarios
      .filter((s) => deviceIndex < s.devices)
      .map((s) =>
        s.scenario.create({ deviceId, config: s.config, rng: rng.fork(s.scenario.type), startMs: connectAt }),
      )
    const transport = createMqttTransport({
      urls: gatewayUrls,
      index,
      deviceId,
      password: options.credentials?.[deviceId],
      qos: fleet.mqtt.qos,
      keepaliveSeconds: fleet.mqtt.keepaliveSeconds,
      connectTimeoutMs: fleet.mqtt.connectTimeoutMs,
      reconnectMinMs: fleet.mqtt.reconnectMinMs,
      reconnectMaxMs: fleet.mqtt.reconnectMaxMs,
      rng: rng.fork('transport'),
      events,
    })
    transports.push(transport)
    const loop: DeviceLoop = createDeviceLoop({
      sim,
      scenarios,
      transport,
      ledger,
      rng: rng.fork('faults'),
      // A new boot id per run, as a real device reboots: (deviceId, bootId, seq) never repeats across runs.
      bootId: randomBytes(4).toString('hex'),
      reportsPerPublish: fleet.reportsPerPublish,
      onSamples: options.onSamples,
    })
    loops.push(loop)
    scheduler.add(() => {
      transport.connect()
      return undefined
    }, connectAt)
    // Spread first reports over one interval so a fleet does not publish in lockstep.
    scheduler.add((due) => loop.tick(due), connectAt + rng.int(0, sim.reportIntervalMs - 1))
  })

  const meter = createProgressMeter({
    clock,
    ledger,
    devices: transports.length,
    connected: () => connected.size,
    errors: () => errors,
    lag: () => scheduler.lastLagMs(),
  })
  const progressTimer = setInterval(() => options.onProgress?.(meter.snapshot()), 1000)
  scheduler.start()
  await waitForEnd(options)
  scheduler.stop()
  for (const loop of loops) loop.flush()
  await drain(ledger, options.drainTimeoutMs ?? 30_000)
  clearInterval(progressTimer)
  const final = meter.snapshot()
  await Promise.all(transports.map((t) => t.close(5_000)))
  await ledger.finish(options.sentFile)
  return { final, ledger }
}

function waitForEnd(options: FleetRunOptions): Promise<void> {
  return new Promise((resolve) => {
    const timer = options.durationMs === undefined ? undefined : setTimeout(resolve, options.durationMs)
    options.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}

async function drain(ledger: Ledger, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (ledger.inFlight() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
