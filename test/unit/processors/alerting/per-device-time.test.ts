import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../../core/alerts/alert-event.js'
import type { KafkaRecord, OutgoingRecord } from '../../../../core/kafka/records.js'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { createAlertEngine } from '../../../../processors/alerting/engine/engine.js'
import { createAlertingMetrics } from '../../../../processors/alerting/metrics.js'
import { createAlertPipeline } from '../../../../processors/alerting/pipeline.js'
import { parseRuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import { decodeStoredState, type StoredState } from '../../../../processors/alerting/state-store.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { silentLogger } from '../../../helpers/services.js'
import { consumedRecord, envelope, sample, telemetryRecord } from '../../../helpers/telemetry-fixtures.js'

// Issue #9 "per-device time": silence on the gateway clock of each partition, conditions on device time.
const ruleSet = parseRuleSet(
  {
    version: 1,
    rules: [
      {
        id: 'spo2-low',
        type: 'threshold',
        appliesTo: ['bedside-monitor'],
        metric: 'spo2',
        direction: 'below',
        levels: [{ limit: 90, priority: 'medium', delayMs: 10_000 }],
        clearLimit: 92,
      },
      { id: 'comm-loss', type: 'missing-data', appliesTo: ['bedside-monitor'] },
      { id: 'clock-fault', type: 'technical', appliesTo: ['bedside-monitor'], condition: 'clock' },
    ],
  },
  'test',
)

const T0 = Date.UTC(2026, 0, 1, 8)
const VITALS = CHANNELS.vitals

function harness(states = new Map<string, StoredState>(), start = T0) {
  const clock = new FakeClock(start)
  const events: AlertEvent[] = []
  let offset = 0
  const pipeline = createAlertPipeline({
    createEngine: () => createAlertEngine({ ruleSet, clock }),
    commit: (records: OutgoingRecord[]) => {
      for (const r of records) {
        if (r.topic === CHANNELS.alertState) states.set(r.key, decodeStoredState(r.value)!)
        const decoded = r.topic === CHANNELS.alertEvents ? decodeAlertEvent(r.value) : undefined
        if (decoded?.ok) events.push(decoded.value)
      }
      return Promise.resolve()
    },
    dedupe: { windowSeqs: 256, maxDevices: 100 },
    time: { groupId: 'g', gapMs: 5_000, stallMs: 10_000, resumeGraceMs: 10_000, monitoringPriority: 'high' },
    metrics: createAlertingMetrics(new Registry()),
    clock,
    logger: silentLogger,
  })
  pipeline.reset(states, [
    { topic: VITALS, partition: 0 },
    { topic: VITALS, partition: 1 },
    { topic: CHANNELS.status, partition: 0 },
  ])
  const seqs = new Map<string, number>()
  /** A reading of a 1 Hz monitor (3 s comm-loss timeout) received at rxMs, its clock off by skewMs. */
  const reading = (deviceId: string, rxMs: number, spo2 = 97, skewMs = 0, partition = 0): KafkaRecord => {
    const seq = (seqs.get(deviceId) ?? 0) + 1
    seqs.set(deviceId, seq)
    return consumedRecord(
      telemetryRecord(envelope(deviceId, seq, rxMs + skewMs, [sample('spo2', spo2)]), {
        type: 'bedside-monitor',
        rxMs,
        site: 'ward3',
      }),
      { partition, offset: offset++ },
    )
  }
  const heartbeat = (
    rxMs: number,
    partition = 0,
    extra: Record<string, string> = {},
    topic: string = VITALS,
  ): KafkaRecord => ({
    topic,
    partition,
    offset: offset++,
    key: undefined,
    value: Buffer.alloc(0),
    timestamp: rxMs,
    headers: Object.fromEntries(
      Object.entries({ [HEADERS.heartbeat]: 'gw-1', [HEADERS.gatewayRxTs]: String(rxMs), ...extra }).map(
        ([k, v]) => [k, Buffer.from(v)],
      ),
    ),
  })
  const disconnect = (deviceId: string, rxMs: number, headers: Record<string, string>): KafkaRecord => ({
    topic: CHANNELS.status,
    partition: 0,
    offset: offset++,
    key: deviceId,
    value: Buffer.from('{}'),
    timestamp: rxMs,
    headers: Object.fromEntries(
      Object.entries({
        [HEADERS.lifecycle]: 'disconnected',
        [HEADERS.deviceType]: 'bedside-monitor',
        [HEADERS.gatewayRxTs]: String(rxMs),
        ...headers,
      }).map(([k, v]) => [k, Buffer.from(v)]),
    ),
  })
  const transitions = (deviceId?: string) =>
    events.filter((e) => !deviceId || e.deviceId === deviceId).map((e) => `${e.ruleId}:${e.transition}`)
  return { pipeline, clock, events, states, reading, heartbeat, disconnect, transitions }
}

/** Seconds 0..n of receive time, one record per device per second, as a batch each. */
async function run(
  h: ReturnType<typeof harness>,
  seconds: number,
  each: (t: number) => KafkaRecord[],
): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    const t = T0 + s * 1000
    await h.clock.advance(t - h.clock.now())
    await h.pipeline.handle(each(t))
  }
}

describe('processors > alerting > per-device time', () => {
  it('a device 90 s fast moves no other device: 0 communication-loss events on the others', async () => {
    const h = harness()
    await run(h, 30, (t) => [h.reading('fast', t, 97, 90_000), h.reading('bm-1', t), h.reading('bm-2', t)])
    expect(h.transitions()).toEqual([])
    // The old watermark (max device time) would have been 90 s ahead of bm-1 and bm-2.
  })

  it('times conditions by device time within ±5 min, by receive time beyond (and says so)', async () => {
    const h = harness()
    // 10 min fast: SpO2 88 from the first reading; the 10 s delay is counted on receive time.
    await run(h, 12, (t) => [h.reading('skewed', t, 88, 600_000)])
    const raised = h.events.find((e) => e.ruleId === 'spo2-low')
    expect(raised?.eventTsMs).toBe(T0 + 10_000)
    expect(h.transitions('skewed')).toEqual(['clock-fault:raised', 'spo2-low:raised'])
    const fault = h.events.find((e) => e.ruleId === 'clock-fault')
    expect(fault).toMatchObject({ kind: 'technical', priority: 'low', value: 600 })
    // Its clock corrected: the fault clears, and only once.
    await h.pipeline.handle([h.reading('skewed', T0 + 12_000, 88), h.reading('skewed', T0 + 13_000, 88)])
    expect(h.transitions('skewed')).toEqual(['clock-fault:raised', 'spo2-low:raised', 'clock-fault:cleared'])
  })

  it('judges a device on the least advanced of its partitions: a status partition read ahead raises no comm-loss', async () => {
    const h = harness()
    // bm-1 connects (status partition 0) and reads every second on vitals partition 0 until T0+2 s.
    await h.pipeline.handle([h.disconnect('bm-1', T0, { [HEADERS.lifecycle]: 'connected' })])
    await run(h, 3, (t) => [h.reading('bm-1', t)])
    // Alerting reads the low-volume status partition 6 s further than the vitals one (a backlog
    // on vitals, as on a loaded machine): bm-1's readings after T0+2 s are simply not read yet.
    await run(h, 9, (t) => (t < T0 + 3_000 ? [] : [h.heartbeat(t, 0, {}, CHANNELS.status)]))
    expect(h.transitions('bm-1')).toEqual([])
    // Its vitals partition catching up still judges it: silent there too, it is lost.
    await run(h, 9, (t) => (t < T0 + 3_000 ? [] : [h.heartbeat(t, 0)]))
    expect(h.transitions('bm-1')).toEqual(['comm-loss:raised'])
  })

  it('loses a silent device on its partition clock, kept moving by heartbeats alone', async () => {
    const h = harness()
    await run(h, 3, (t) => [h.reading('bm-1', t)])
    await run(h, 10, (t) => (t < T0 + 3_000 ? [] : [h.heartbeat(t)]))
    expect(h.transitions('bm-1')).toEqual(['comm-loss:raised'])
    expect(h.events[0]?.eventTsMs).toBe(T0 + 2_000 + 3_000) // last seen + 3 × 1 s, on receive time
  })

  it('a backlog drained late raises nothing: receive times, not the alerting clock, say who was silent', async () => {
    const h = harness()
    await h.clock.advance(600_000) // alerting is 10 min behind: everything below is old
    const backlog: KafkaRecord[] = []
    for (let s = 0; s < 60; s++) backlog.push(h.reading('bm-1', T0 + s * 1000), h.heartbeat(T0 + s * 1000))
    await h.pipeline.handle(backlog)
    await h.pipeline.tick()
    expect(h.transitions()).toEqual([])
  })

  it('an ingress gap restarts the timers: no per-device storm when data returns; one silent device still lost', async () => {
    const h = harness()
    const devices = Array.from({ length: 20 }, (_, i) => `bm-${i}`)
    await run(h, 5, (t) => [...devices.map((d) => h.reading(d, t)), h.heartbeat(t)])
    // 60 s of nothing (gateway down). Then heartbeats first, devices trickling back over 2 s; bm-19 never does.
    const back = T0 + 65_000
    await h.clock.advance(back - h.clock.now())
    await h.pipeline.handle([h.heartbeat(back)])
    await h.pipeline.handle([
      ...devices.slice(0, 10).map((d) => h.reading(d, back + 1_000)),
      h.heartbeat(back + 1_000),
    ])
    await h.pipeline.handle([
      ...devices.slice(10, 19).map((d) => h.reading(d, back + 2_000)),
      h.heartbeat(back + 2_000),
    ])
    await run(h, 0, () => [])
    for (let s = 3; s < 13; s++)
      await h.pipeline.handle([
        ...devices.slice(0, 19).map((d) => h.reading(d, back + s * 1000)),
        h.heartbeat(back + s * 1000),
      ])
    const commLoss = h.events.filter((e) => e.ruleId === 'comm-loss')
    expect(commLoss.map((e) => `${e.deviceId}:${e.transition}`)).toEqual(['bm-19:raised'])
    expect(commLoss[0]?.eventTsMs).toBe(back + 10_000) // the resume grace (time.resumeGraceMs) from the resume
  })

  it('all ingress stopped: one monitoring-unavailable alarm, not repeated, cleared on return', async () => {
    const h = harness()
    await run(h, 3, (t) => [h.reading('bm-1', t), h.heartbeat(t, 0), h.heartbeat(t, 1)])
    for (let s = 0; s < 60; s++) {
      await h.clock.advance(1_000)
      await h.pipeline.tick()
    }
    const monitoring = h.events.filter((e) => e.ruleId === 'monitoring-unavailable')
    expect(monitoring.map((e) => e.transition)).toEqual(['raised'])
    expect(monitoring[0]).toMatchObject({
      deviceId: '@monitoring.g.p0',
      priority: 'high',
      kind: 'technical',
      value: 2,
      limit: 2,
    })
    expect(monitoring[0]?.message).toContain('sites ward3')
    const t = h.clock.now()
    await h.pipeline.handle([h.heartbeat(t, 0), h.heartbeat(t, 1), h.reading('bm-1', t)])
    expect(h.transitions()).toEqual(['monitoring-unavailable:raised', 'monitoring-unavailable:cleared'])
  })

  it('a gracefully stopping gateway: devices are moving, not lost, within its grace period', async () => {
    const h = harness()
    await run(h, 3, (t) => [h.reading('bm-1', t), h.reading('bm-2', t), h.heartbeat(t)])
    const stop = T0 + 3_000
    const graceful = { [HEADERS.disconnectReason]: 'gateway_shutdown', [HEADERS.graceMs]: '30000' }
    await h.pipeline.handle([
      h.heartbeat(stop, 0, { [HEADERS.graceMs]: '30000' }),
      h.heartbeat(stop, 0, { [HEADERS.graceMs]: '30000' }, CHANNELS.status),
      h.disconnect('bm-1', stop, graceful),
      h.disconnect('bm-2', stop, graceful),
    ])
    // Quiet for 20 s: within the grace, so no monitoring alarm either.
    for (let s = 0; s < 20; s++) {
      await h.clock.advance(1_000)
      await h.pipeline.tick()
    }
    expect(h.transitions()).toEqual([])
    // The restarted gateway (heartbeats at once) and bm-1 back; bm-2 is not back by the end of its grace.
    const restart = stop + 21_000
    for (let s = 0; s < 15; s++) {
      const t = restart + s * 1000
      await h.clock.advance(t - h.clock.now())
      await h.pipeline.handle([h.heartbeat(t), h.heartbeat(t, 0, {}, CHANNELS.status), h.reading('bm-1', t)])
    }
    expect(h.transitions()).toEqual(['comm-loss:raised'])
    // Due at the end of the grace period (the restart was a gap: its resume grace runs to 31 s),
    // not a timeout after its last reading before the stop.
    expect(h.events[0]).toMatchObject({ deviceId: 'bm-2', eventTsMs: stop + 31_000 })
  })

  it('a disconnect without a shutdown reason still raises at once', async () => {
    const h = harness()
    await run(h, 2, (t) => [h.reading('bm-1', t), h.heartbeat(t)])
    await h.pipeline.handle([h.disconnect('bm-1', T0 + 2_500, {})])
    expect(h.transitions()).toEqual(['comm-loss:raised'])
  })

  it('an ingress gap that spans an alerting restart is still a gap (the clock is stored per partition)', async () => {
    const before = harness()
    const devices = ['bm-1', 'bm-2', 'bm-3']
    await run(before, 5, (t) => [...devices.map((d) => before.reading(d, t)), before.heartbeat(t)])
    // Alerting restarts during a 60 s outage, then data returns: no storm.
    const back = T0 + 65_000
    const after = harness(before.states, back)
    await after.pipeline.handle([after.heartbeat(back)])
    for (let s = 1; s < 5; s++)
      await after.pipeline.handle([
        ...devices.map((d) => after.reading(d, back + s * 1000)),
        after.heartbeat(back + s * 1000),
      ])
    expect(after.transitions()).toEqual([])
    expect([...before.states.keys()].filter((k) => k.startsWith('@clock.g.'))).toEqual([
      `@clock.g.${VITALS}/0`,
    ])
  })
})
