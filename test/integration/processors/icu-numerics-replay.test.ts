import { afterAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { systemClock } from '../../../core/clock.js'
import { encodeTelemetry, type TelemetryEnvelope } from '../../../core/telemetry/envelope.js'
import { METRICS, type MetricName } from '../../../core/telemetry/metric-registry.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { createAlertEngine } from '../../../processors/alerting/engine/engine.js'
import { DEFAULT_RULES_FILE, loadRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { startTestAlerting, type TestAlerting } from '../../helpers/alerting.js'
import { repoRoot } from '../../helpers/cli.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { createIcuNumericsFeed, SPO2_ZEROS, type Run } from '../../helpers/icu-numerics-feed.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// Issue #9 finding 6, end to end: a 32 h ICU numerics record without quality flags (synthetic,
// test/helpers/icu-numerics-feed.ts) replayed through the real gateway (MQTT, QoS 1), Kafka and
// alerting with the default rules. Dropouts written as 0 must raise technical "no signal" alarms,
// never physiological ones; genuine desaturations must each raise their own episode.
const MINUTE = 60_000
/** The record spans 32 h and ends 10 min ago. */
const REPLAY_SKEW_MS = 34 * 60 * MINUTE
const ruleSet = loadRuleSet(`${repoRoot}/${DEFAULT_RULES_FILE}`)
const device = unique('icu-bm')
let alerting: TestAlerting | undefined
let gateway: TestGateway | undefined
let tap: Tap | undefined

afterAll(async () => {
  await tap?.stop()
  await alerting?.stop().catch(() => undefined)
  await gateway?.stop()
})

const sample = (metric: MetricName, value: number, tsMs: number) => ({
  metric,
  value,
  ucum: METRICS[metric].ucum,
  quality: 'unspecified' as const, // the export has no quality field
  tsMs,
  backfill: false,
})

describe('integration > processors > ICU numerics record without quality flags', () => {
  it('raises no-signal for dropouts, never a physiological alarm, and each desaturation once', async () => {
    // Ends ten minutes ago: inside the gateway's accepted age, never in the future.
    const feed = createIcuNumericsFeed(Date.now() - 32 * 60 * MINUTE - 10 * MINUTE)
    expect(feed.rows.filter((r) => r.spo2 === 0)).toHaveLength(SPO2_ZEROS)
    const messages: TelemetryEnvelope[] = feed.rows.map((r, i) => ({
      deviceId: device,
      bootId: 'export-1',
      seq: i + 1,
      deviceTsMs: r.tMs,
      deviceType: 'bedside-monitor',
      samples: [
        sample('heart_rate', r.hr, r.tMs),
        sample('spo2', r.spo2, r.tMs),
        sample('respiration_rate', r.rr, r.tMs),
      ],
    }))

    gateway = await startTestGateway([{ id: device, type: 'bedside-monitor', site: 'icu-1' }])
    // The export is replayed as if live, in a burst: its readings are hours older than their
    // receive time, so the ±5 min clock bound (ADR 0016) is opened for it, and conditions are
    // timed by the record's own times, as the monitor wrote them.
    alerting = await startTestAlerting({
      ruleSet,
      groupId: unique('it-icu'),
      config: { time: { maxDeviceSkewMs: REPLAY_SKEW_MS } },
    })
    tap = await tapChannels(testKafka, [CHANNELS.alertEvents])

    const client = await gateway.connect(device)
    for (const m of messages) {
      await client.publishAsync(`devices/${device}/telemetry`, Buffer.from(encodeTelemetry(m)), { qos: 1 })
    }
    // The connection stays open: a disconnect is communication loss (the missing-data rule), not part of the record.

    // What the engine alone makes of the same record: the service must emit exactly this.
    // Communication loss is judged on receive time (the burst: nobody is silent during it, and
    // the device goes silent after it), so it is compared apart, below.
    const engine = createAlertEngine({ ruleSet, clock: systemClock, maxDeviceSkewMs: REPLAY_SKEW_MS })
    const info = { deviceId: device, deviceType: 'bedside-monitor' as const, site: 'icu-1' }
    const expected = messages.flatMap((m) => engine.onTelemetry(m, info, m.deviceTsMs))
    const publishedAtMs = Date.now()
    const all = (): AlertEvent[] =>
      tap!.forKeys([device]).flatMap((r) => {
        const decoded = decodeAlertEvent(r.value)
        return decoded.ok ? [decoded.value] : []
      })
    const emitted = (): AlertEvent[] => all().filter((e) => e.ruleId !== 'comm-loss')
    await eventually(
      async () => ((await alerting!.records('evaluated')) >= messages.length ? true : undefined),
      120_000,
    )
    await eventually(() => (emitted().length >= expected.length ? true : undefined), 30_000)
    const events = emitted()
    // No communication loss while the record streamed in; only (at most) the one after its end.
    const commLoss = all().filter((e) => e.ruleId === 'comm-loss')
    expect(commLoss.filter((e) => e.eventTsMs < publishedAtMs).map((e) => e.transition)).toEqual([])
    expect(commLoss.map((e) => e.transition)).toEqual(commLoss.length > 0 ? ['raised'] : [])
    expect(events.filter((e) => e.ruleId === 'clock-fault')).toEqual([])
    const story = (e: AlertEvent): string =>
      `${e.ruleId}:${e.transition}:${e.priority}:${e.episode}@${(e.eventTsMs - feed.rows[0]!.tMs) / MINUTE}`
    console.info('ICU record', {
      rows: feed.rows.length,
      spo2Dropouts: feed.spo2Dropouts.length,
      hrDropouts: feed.hrDropouts.length,
      transitions: events.length,
      byRule: events.reduce<Record<string, number>>(
        (n, e) => ({ ...n, [e.ruleId]: (n[e.ruleId] ?? 0) + 1 }),
        {},
      ),
    })
    console.info(events.filter((e) => e.kind !== 'technical').map(story))

    const key = (e: AlertEvent): string => `${e.alertId}|${e.transition}|${e.eventTsMs}`
    expect(events.map(key)).toEqual(expected.map(key))
    // Nothing twice.
    expect(new Set(events.map(key)).size).toBe(events.length)

    // No physiological or score transition during a dropout, and none with a value of 0.
    const within = (run: Run, ts: number): boolean =>
      ts >= feed.rows[run.start]!.tMs && ts <= feed.rows[run.start + run.length - 1]!.tMs
    const dropouts = [...feed.spo2Dropouts, ...feed.hrDropouts]
    const clinical = events.filter((e) => e.kind !== 'technical')
    expect(clinical.filter((e) => dropouts.some((run) => within(run, e.eventTsMs))).map(story)).toEqual([])
    expect(clinical.filter((e) => e.kind === 'physiological' && e.value === 0).map(story)).toEqual([])

    // Each dropout of two readings or more: one technical no-signal raised at its second reading,
    // cleared at the first reading after it. A single reading persists 0 s: below the 10 s delay.
    for (const [ruleId, runs] of [
      ['spo2-no-signal', feed.spo2Dropouts],
      ['hr-no-signal', feed.hrDropouts],
    ] as const) {
      const got = events.filter((e) => e.ruleId === ruleId).map((e) => `${e.transition}@${e.eventTsMs}`)
      const want = runs
        .filter((run) => run.length >= 2)
        .flatMap((run) => [
          `raised@${feed.rows[run.start + 1]!.tMs}`,
          `cleared@${feed.rows[run.start + run.length]!.tMs}`,
        ])
      expect(got).toEqual(want)
      expect(events.filter((e) => e.ruleId === ruleId).every((e) => e.kind === 'technical')).toBe(true)
    }

    // Each genuine desaturation is its own episode, raised inside its plateau.
    const spo2Low = events.filter((e) => e.ruleId === 'spo2-low')
    const raised = spo2Low.filter((e) => e.transition === 'raised')
    expect(raised.map((e) => e.episode)).toEqual([1, 2, 3, 4, 5])
    raised.forEach((e, i) => expect(within(feed.episodes[i]!, e.eventTsMs)).toBe(true))
    // The four shallow ones (medium, non-latching) clear on recovery; the deep one is high and latching.
    expect(spo2Low.filter((e) => e.transition === 'cleared').map((e) => e.episode)).toEqual([1, 2, 3, 4])
    expect(raised.slice(0, 4).every((e) => e.priority === 'medium' && !e.latching)).toBe(true)
    expect(raised[4]).toMatchObject({ priority: 'high', latching: true })

    // No flap: no rule raised again within a minute of clearing.
    const flaps = events.filter(
      (e, i) =>
        e.transition === 'raised' &&
        events
          .slice(0, i)
          .some(
            (c) => c.ruleId === e.ruleId && c.transition === 'cleared' && e.eventTsMs - c.eventTsMs < MINUTE,
          ),
    )
    expect(flaps.map(story)).toEqual([])
  })
})
