import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { machineFacts } from '../proc-stats.js'
import { ConfigError } from '../../core/errors.js'
import { connectFleet, type Fleet } from './fleet.js'
import { createInfluxQl } from './influx-ql.js'
import type { ConnectionEvents } from './load-client.js'
import { createOpenLoop, fineClock, type FineClock } from './open-loop.js'
import type { LoadtestOptions } from './options.js'
import type { LoadProgress } from './progress.js'
import { LOAD_PROFILES, encodeLoadMessage, type AlarmPattern } from './readings.js'
import { reconcile } from './reconcile.js'
import type { FaultRecord, LoadReport, Throughput } from './report.js'
import { ResourceMonitor } from './resources.js'
import { RunLedger } from './run-ledger.js'
import { createSchedule, readingClock } from './schedule.js'
import { storedPerDevice, waitUntilSettled } from './settle.js'
import { storedTotal, type StoreLocation } from './stored-readings.js'
import { createAlertTap, createTelemetryTap, type Tap } from './taps.js'
import type { LoadTarget } from './target.js'
import { RunTimeline, percentileCurves } from './timeline.js'
import { createVisibilityProbes } from './visibility-probes.js'
import { groupLag, loadtestKafka, totalLag } from './group-lag.js'

export interface LoadtestHooks {
  /** About once a second, during the load and while draining. */
  onProgress?: (progress: LoadProgress) => void
  /** Phase notes ("connecting 1000 devices"), for stderr. */
  log?: (line: string) => void
  /** Ends the load early (Ctrl-C); the run still drains, reconciles and reports what was sent. */
  signal?: AbortSignal
  /** The command line recorded in the report. */
  command?: string
  clock?: FineClock
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits
const deviceId = (prefix: string, i: number): string => `${prefix}-${String(i + 1).padStart(5, '0')}`

/**
 * Runs one load test against any target: starts it, connects the devices, publishes on an
 * open-loop schedule, watches Kafka, InfluxDB and the alert channel, then reconciles every
 * (device, seq) and reports. The target is stopped whatever happens.
 */
export async function runLoadtest(
  options: LoadtestOptions,
  target: LoadTarget,
  hooks: LoadtestHooks = {},
): Promise<LoadReport> {
  if (options.faults.length > 0 && !target.crash) {
    throw new ConfigError('loadtest options', [
      { path: '--fault', message: `target ${target.name} cannot inject faults` },
    ])
  }
  const log = hooks.log ?? (() => undefined)
  const fine = hooks.clock ?? fineClock
  const startedAt = new Date().toISOString()
  const loadAverage = loadavg()[0] ?? 0
  const deviceIds = Array.from({ length: options.devices }, (_, i) => deviceId(options.idPrefix, i))
  const devices = new Map(deviceIds.map((id, i) => [id, i]))
  const schedule = createSchedule({
    devices: options.devices,
    ratePerSec: options.ratePerSec,
    durationMs: options.durationS * 1000,
    rampUpMs: options.rampUpS * 1000,
    samples: options.samples,
  })
  const profile = LOAD_PROFILES[options.profile]
  log(`starting target ${target.name} for ${options.devices} devices`)
  const endpoints = await target.start(deviceIds, {
    sendIntervalMs: (options.devices * 1000) / options.ratePerSec,
  })
  const taps: Tap[] = []
  let fleet: Fleet | undefined
  let probes: ReturnType<typeof createVisibilityProbes> | undefined
  let progressTimer: NodeJS.Timeout | undefined
  let finished = false
  try {
    // Created once the start time is known; records before that cannot be this run's.
    const current: { ledger?: RunLedger } = {}
    const tapOptions = { brokers: endpoints.kafka.brokers, devices, clock: fine }
    taps.push(
      createTelemetryTap(
        { ...tapOptions, topics: endpoints.kafka.topics, format: endpoints.kafka.format },
        (d, seq, at) => current.ledger?.inKafka(d, seq, at),
      ),
    )
    if (endpoints.alertTopic) {
      taps.push(
        createAlertTap({ ...tapOptions, topics: [endpoints.alertTopic] }, (d, e, at) =>
          current.ledger?.alerted(d, e, at),
        ),
      )
    }
    await Promise.all(taps.map((t) => t.start()))
    const events: ConnectionEvents = { connects: 0, disconnects: 0, errors: 0, lastError: undefined }
    log(`connecting ${options.devices} devices to ${endpoints.mqttUrl}`)
    fleet = await connectFleet({
      url: endpoints.mqttUrl,
      deviceIds,
      credentials: endpoints.credentials,
      qos: options.qos,
      ratePerSec: options.connectRatePerSec,
      events,
      graceMs: 30_000 + (options.devices / options.connectRatePerSec) * 1000,
    })
    const clients = fleet.clients

    const startMs = Math.ceil(fine.now()) + 200
    const clock = readingClock(schedule, startMs)
    const isAlarmDevice = (d: number): boolean => options.alarmEvery > 0 && d % options.alarmEvery === 0
    // The desaturation the load injects raises SpO2 rules and, through SpO2, the early-warning score.
    const run = new RunLedger(
      schedule,
      clock,
      (d, e) => isAlarmDevice(d) && (e.metric === 'spo2' || e.kind === 'score'),
    )
    current.ledger = run
    const timeline = new RunTimeline(startMs, options.probeEvery)
    run.onLatency = (hop, ms) => timeline.record(hop, ms)
    const ql = createInfluxQl(endpoints.influx.url, endpoints.influx.database)
    const store: StoreLocation = {
      ql,
      measurement: endpoints.influx.measurement,
      field: profile.metrics[0].metric,
      idPrefix: options.idPrefix,
      sinceMs: startMs - schedule.deviceIntervalMs - 1_000,
    }
    const probeSet = createVisibilityProbes({
      ql,
      measurement: store.measurement,
      field: store.field,
      clock: fine,
      pollMs: options.probePollMs,
      steadyFromMs: startMs + schedule.rampUpMs,
      onVisible: (ms) => timeline.record('influxVisible', ms),
    })
    probes = probeSet
    const alarm: AlarmPattern = {
      spo2: options.alarmSpo2,
      holdMs: options.alarmHoldS * 1000,
      normalMs: 10_000,
    }
    const bootId = randomBytes(4).toString('hex')
    const send = (n: number, scheduledMs: number): void => {
      const d = schedule.deviceOf(n)
      const seq = schedule.seqOf(n)
      const id = deviceIds[d] as string
      const readingTimesMs = Array.from({ length: options.samples }, (_, i) => clock.readingTimeMs(n, i))
      const isAlarm = isAlarmDevice(d)
      const bytes = encodeLoadMessage(profile, {
        deviceId: id,
        bootId,
        seq,
        readingTimesMs,
        runStartMs: startMs,
        alarm: isAlarm ? alarm : undefined,
      })
      const probed = n % options.probeEvery === 0
      const sendTime = clock.sendTimeMs(n)
      if (probed) probeSet.add({ deviceId: id, timeMs: sendTime, scheduledMs })
      run.published(n, fine.now() - scheduledMs)
      clients[d]?.publish(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => {
        run.settled(n, fine.now(), err)
        if (err && probed) probeSet.cancel(id, sendTime)
      })
    }
    const loop = createOpenLoop({ schedule, clock: fine, startMs, send })
    const monitor = new ResourceMonitor([...endpoints.processes, { name: 'loadgen', pid: process.pid }])
    monitor.start()
    probeSet.start()

    let phase: LoadProgress['phase'] = 'load'
    let last = { at: fine.now(), sent: 0, acked: 0, kafka: 0 }
    progressTimer = setInterval(() => {
      const now = fine.now()
      const dt = Math.max(0.001, (now - last.at) / 1000)
      const totals = {
        sent: run.sent,
        acked: run.acked,
        kafka: run.kafkaDistinct,
        visible: probeSet.stats.visible,
      }
      timeline.tick(now, totals, monitor.cpuWindow(dt))
      hooks.onProgress?.({
        phase,
        elapsedS: (now - startMs) / 1000,
        offeredPerSec: (run.sent - last.sent) / dt,
        ackedPerSec: (run.acked - last.acked) / dt,
        kafkaPerSec: (run.kafkaDistinct - last.kafka) / dt,
        awaitingAck: run.awaitingAck(),
        p99Ms: run.puback.quantile(0.99),
        errors: events.errors + run.failed,
        connected: fleet?.connected() ?? 0,
        devices: options.devices,
        generatorLagMs: loop.lagMs(),
      })
      last = { at: now, sent: run.sent, acked: run.acked, kafka: run.kafkaDistinct }
    }, 1_000)

    const faults: FaultRecord[] = options.faults.map((f) => ({ ...f, killedAtS: null, readyAtS: null }))
    const faultsDone = faults.map(async (fault) => {
      await sleep(Math.max(0, startMs + fault.atS * 1000 - fine.now()))
      if (finished || hooks.signal?.aborted || !target.crash) return
      fault.killedAtS = round((fine.now() - startMs) / 1000, 2)
      log(`fault: killing ${fault.process} at ${fault.killedAtS} s`)
      try {
        const restarted = await target.crash(fault.process)
        if (restarted) monitor.replaced(restarted.name, restarted.pid)
        fault.readyAtS = round((fine.now() - startMs) / 1000, 2)
      } catch (err) {
        fault.error = err instanceof Error ? err.message : String(err)
      }
    })

    const abort = (): void => loop.stop()
    hooks.signal?.addEventListener('abort', abort, { once: true })
    loop.start()
    if (hooks.signal?.aborted) loop.stop()
    await loop.done
    hooks.signal?.removeEventListener('abort', abort)
    const loadEnd = fine.now()
    monitor.markLoadEnd()
    const groups = endpoints.consumerGroups ?? []
    const lagRecords =
      groups.length === 0
        ? null
        : await groupLag(loadtestKafka(endpoints), groups).catch((err: unknown) => {
            log(`consumer lag not measured: ${err instanceof Error ? err.message : String(err)}`)
            return null
          })
    phase = 'drain'
    const deadlineMs = loadEnd + options.drainTimeoutS * 1000
    while (run.awaitingAck() > 0 && fine.now() < deadlineMs) await sleep(100)
    await Promise.all(faultsDone)
    const { lastStoredAtMs } = await waitUntilSettled({
      ledger: run,
      storedTotal: () => storedTotal(store),
      qos: options.qos,
      samples: options.samples,
      clock: fine,
      // A target that buffers writes (a client's flush interval) may be silent that long without
      // losing anything: the drain waits past it before the reconciliation calls readings lost.
      deadlineMs: Math.max(deadlineMs, fine.now() + (endpoints.storeFlushIntervalMs ?? 0) + 5_000),
      quietMs: Math.max(15_000, (endpoints.storeFlushIntervalMs ?? 0) + 5_000),
      pendingRecords: groups.length === 0 ? undefined : () => totalLag(loadtestKafka(endpoints), groups),
    })
    // What is stored now is all that will be: a last few polls find the newest probes.
    await sleep(Math.max(200, 3 * options.probePollMs))
    clearInterval(progressTimer)
    monitor.stop()
    await probeSet.stop()
    log('reconciling every (device, seq) against Kafka and InfluxDB')
    const rec = reconcile(
      await storedPerDevice(run, store, deviceIds, clock, options.samples),
      options.samples,
      options.qos,
    )

    const { puback, kafka, alert } = run
    const loadSeconds = Math.max(0.001, (loadEnd - startMs) / 1000)
    const settledAfterS = round((lastStoredAtMs - startMs) / 1000)
    const rate = (messages: number, seconds = loadSeconds): Throughput => ({
      messages,
      readings: messages * options.samples,
      msgsPerSec: round(messages / seconds),
      readingsPerSec: round((messages * options.samples) / seconds),
    })
    const lost = rec.lostReadings
    return {
      kind: 'pulsewire-loadtest',
      version: 1,
      target: target.name,
      startedAt,
      command: hooks.command ?? process.argv.join(' '),
      machine: {
        ...machineFacts(),
        note: `load average ${loadAverage.toFixed(2)} at the start; the target, the local stack and the load generator share these cores`,
      },
      options,
      schedule: {
        messages: run.sent,
        readings: run.sent * options.samples,
        deviceIntervalMs: round(schedule.deviceIntervalMs, 3),
        readingSpacingMs: schedule.readingSpacingMs,
        loadSeconds: round(loadSeconds, 2),
        generatorMaxLagMs: round(loop.maxLagMs(), 2),
      },
      throughput: {
        offered: rate(run.sent),
        acknowledged: rate(run.acked),
        inKafka: rate(run.kafkaDistinct),
        stored: {
          ...rate(rec.storedMessages, Math.max(loadSeconds, settledAfterS - 1)),
          readings: rec.storedReadings,
          settledAfterS,
        },
      },
      latency: {
        puback: run.puback.summary(),
        kafka: run.kafka.summary(),
        influxVisible: { ...probeSet.histogram.summary(), probes: { ...probeSet.stats } },
        alert: endpoints.alertTopic ? run.alertLatency() : null,
      },
      steady: run.steadyWindow({ influxVisible: probeSet.steadyHistogram.summary(), lagRecords }),
      resources: monitor.usage(run.sent, loadSeconds),
      timeline: timeline.points(),
      distribution: percentileCurves({ puback, kafka, alert, influxVisible: probeSet.histogram }),
      notes: [
        ...(endpoints.notes ?? []),
        'loadgen: the load generator, with its Kafka taps and InfluxDB probes',
      ],
      connections: { ...events },
      faults,
      reconciliation: rec,
      lost,
      ok: lost === 0 && rec.sendFailed === 0 && (options.qos === 0 || rec.notAcked === 0),
    }
  } finally {
    finished = true
    clearInterval(progressTimer)
    await probes?.stop()
    await fleet?.close().catch(() => undefined)
    await Promise.all(taps.map((t) => t.stop().catch(() => undefined)))
    log(`stopping target ${target.name}`)
    await target.stop()
  }
}
