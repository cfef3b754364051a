import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { readConfigFile } from '../../../core/config/load.js'
import { systemClock } from '../../../core/clock.js'
import { createInfluxAdapter } from '../../../core/influx/client.js'
import type { Component } from '../../../core/lifecycle.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { parseFleet } from '../../../devices-sim/fleet/fleet-file.js'
import { planDevices, runFleet } from '../../../devices-sim/runtime/fleet-runner.js'
import { alertingConfigSchema } from '../../../processors/alerting/config.js'
import { parseRuleSet, type RuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { createAlertingService } from '../../../processors/alerting/service.js'
import { storageConfigSchema } from '../../../processors/storage/config.js'
import { createStorageService } from '../../../processors/storage/service.js'
import { repoRoot } from '../../helpers/cli.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, silentLogger, testInflux, testKafka, unique } from '../../helpers/services.js'

// The whole pipeline with simulator scenarios: simulated devices → real gateway (MQTT) → Kafka →
// storage (InfluxDB, checked with Flux) and alerting (alerts.events.v1, checked with a tap).
const run = unique('e2e').replaceAll('-', '')
const database = `e2e_${run}`
const started: Component[] = []
let gateway: TestGateway | undefined
let alertsTap: Tap | undefined

/**
 * The default rules with NEWS2's 5-minute input median compressed to 30 s, as the sepsis scenario
 * is compressed from 6 h to 25 s: a 5-minute median keeps one point per 10 s, so it would jump a
 * 25 s trend from low straight to high, and the bands in between would never be seen.
 */
function compressedRules(): RuleSet {
  const raw = readConfigFile(`${repoRoot}/deploy/rules/default.yaml`) as { rules: Record<string, unknown>[] }
  const rules = raw.rules.map((r) => (r.type === 'news2' ? { ...r, medianWindowMs: 30_000 } : r))
  return parseRuleSet({ ...raw, rules }, 'default rules, NEWS2 median compressed')
}

async function start(components: Component[]): Promise<void> {
  for (const component of components) {
    await component.start()
    started.push(component)
  }
}

afterAll(async () => {
  await alertsTap?.stop()
  for (const component of started.reverse()) await component.stop().catch(() => undefined)
  await gateway?.stop()
  await fetch(new URL('/query', testInflux.url), {
    method: 'POST',
    body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
  })
})

describe('integration > processors > clinical scenarios end to end', () => {
  it('raises, escalates and clears alarms as the scenarios dictate, and stores every reading', async () => {
    const fleet = parseFleet(
      {
        seed: 11,
        groups: [
          {
            // Compressed to seconds (6 h in the real scenario); NIBP every minute so the falling pressure is measured.
            profile: 'bedside-monitor',
            count: 1,
            idPrefix: `${run}-sepsis-`,
            config: { nibpIntervalMs: 60_000 },
            scenarios: [{ scenario: 'sepsis', config: { durationMs: 25_000 } }],
          },
          {
            profile: 'bedside-monitor',
            count: 1,
            idPrefix: `${run}-desat-`,
            scenarios: [
              {
                scenario: 'desaturation',
                config: { episodes: [{ atMs: 8_000, depth: 10, durationMs: 25_000, recoveryMs: 3_000 }] },
              },
            ],
          },
          {
            profile: 'bedside-monitor',
            count: 1,
            idPrefix: `${run}-motion-`,
            scenarios: [{ scenario: 'motion-artefact', config: { intervalMs: [12_000, 12_000] } }],
          },
          {
            profile: 'bedside-monitor',
            count: 1,
            idPrefix: `${run}-offline-`,
            scenarios: [
              { scenario: 'offline-backfill', config: { startAfterMs: 10_000, durationMs: 15_000 } },
            ],
          },
        ],
      },
      'e2e fleet',
    )
    const ids = planDevices(fleet).map((d) => d.deviceId)
    gateway = await startTestGateway(
      ids.map((id) => ({ id, type: 'bedside-monitor' as const, site: 'ward-e2e' })),
    )

    const storage = createStorageService({
      config: storageConfigSchema.parse({
        kafka: testKafka,
        influx: { ...testInflux, bucket: `${database}/autogen` },
        groupId: `${run}-storage`,
        consumer: { fromBeginning: false },
        http: { port: 0 },
        log: { level: 'silent' },
      }),
      logger: silentLogger,
      registry: new Registry(),
      clock: systemClock,
    })
    const alerting = createAlertingService({
      config: alertingConfigSchema.parse({
        kafka: testKafka,
        groupId: `${run}-alerting`,
        fromBeginning: false,
        http: { port: 0 },
        log: { level: 'silent' },
      }),
      ruleSet: compressedRules(),
      logger: silentLogger,
      registry: new Registry(),
      clock: systemClock,
      onFatal: (err) => {
        throw err
      },
    })
    await start([...storage.components, ...alerting.components])
    alertsTap = await tapChannels(testKafka, [CHANNELS.alertEvents])
    // Both groups start from the latest offsets: the fleet may only start once each owns its
    // partitions, or alerting would first score a sepsis already at its peak (raised high, never escalated).
    const owned = (): boolean =>
      storage.consumer.assignments().length > 0 && (alerting.consumer()?.assignments().length ?? 0) > 0
    await eventually(() => (owned() ? true : undefined), 60_000)

    const report = await runFleet({
      fleet: { ...fleet, mqtt: { ...fleet.mqtt, url: gateway.mqttUrl } },
      clock: systemClock,
      durationMs: 70_000,
      credentials: Object.fromEntries(gateway.secrets),
    })
    expect(report.final.acked).toBe(report.final.published)
    await new Promise((resolve) => setTimeout(resolve, 5_000))

    const alerts = alertsTap.forKeys(ids).flatMap((r) => {
      const decoded = decodeAlertEvent(r.value)
      return decoded.ok ? [decoded.value] : []
    })
    const of = (prefix: string, ruleId?: string): AlertEvent[] =>
      alerts.filter(
        (a) => a.deviceId.startsWith(`${run}-${prefix}-`) && (ruleId === undefined || a.ruleId === ruleId),
      )
    const story = (events: AlertEvent[]): string[] =>
      events.map((a) => `${a.ruleId}:${a.transition}:${a.priority}`)
    console.info(
      'alert transitions',
      Object.fromEntries(['sepsis', 'desat', 'motion', 'offline'].map((p) => [p, story(of(p))])),
    )

    // Sepsis: NEWS2 moves up through its bands.
    const news2 = of('sepsis', 'news2')
    expect(news2.map((a) => a.transition)).toContain('raised')
    expect(news2.some((a) => a.transition === 'escalated' && a.priority === 'high')).toBe(true)

    // Desaturation: raised only after the 15 s condition delay, cleared with hysteresis.
    const dipStart = report.ledger
      .events()
      .find((e) => e.event === 'desaturation-start' && e.deviceId.startsWith(`${run}-desat-`))
    const spo2 = of('desat', 'spo2-low')
    const raised = spo2.find((a) => a.transition === 'raised')
    expect(dipStart).toBeDefined()
    expect(raised).toBeDefined()
    expect(raised!.eventTsMs - dipStart!.atMs).toBeGreaterThanOrEqual(15_000)
    expect(spo2.map((a) => a.transition)).toContain('cleared')
    expect(spo2.find((a) => a.transition === 'cleared')!.value).toBeGreaterThanOrEqual(92) // clears at or past the clear limit (hysteresis)

    // Motion artefact only: no physiological alarm.
    expect(of('motion').filter((a) => a.kind === 'physiological')).toEqual([])
    expect(
      report.ledger
        .events()
        .some((e) => e.event === 'motion-artefact' && e.deviceId.startsWith(`${run}-motion-`)),
    ).toBe(true)

    // Offline: communication loss raised, cleared when the device returns.
    const commLoss = of('offline', 'comm-loss')
    expect(commLoss.map((a) => a.transition)).toEqual(expect.arrayContaining(['raised', 'cleared']))
    expect(commLoss.every((a) => a.kind === 'technical')).toBe(true)

    // Storage: every device's readings are in InfluxDB, backfill included.
    const influx = createInfluxAdapter({ ...testInflux, bucket: `${database}/autogen` })
    const rows = await influx.query<{ device_id: string; _value: number }>(
      `from(bucket: "${database}/autogen") |> range(start: -10m)
        |> filter(fn: (r) => r._measurement == "vitals" and r._field == "heart_rate")
        |> group(columns: ["device_id"]) |> count()`,
    )
    const counts = Object.fromEntries(rows.map((r) => [r.device_id, r._value]))
    for (const id of ids) expect(counts[id], id).toBeGreaterThanOrEqual(60)
    const offlineId = ids.find((id) => id.includes('-offline-'))!
    expect(counts[offlineId]).toBeGreaterThanOrEqual(68) // the 15 s outage was backfilled
  })
})
