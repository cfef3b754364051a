import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { systemClock } from '../../../core/clock.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import { CHANNELS, TELEMETRY_PARTITIONS } from '../../../core/telemetry/topics.js'
import { createAlertEngine } from '../../../processors/alerting/engine/engine.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { recordsFromMetrics, warmUpAlerting } from '../../helpers/alerting.js'
import { tapChannels } from '../../helpers/kafka-tap.js'
import { freePort, spawnCli, type CliProcess } from '../../helpers/processes.js'
import { eventually, silentLogger, testKafka, unique } from '../../helpers/services.js'
import { envelope, sample, telemetryRecord } from '../../helpers/telemetry-fixtures.js'
import { waitForReady, waitForStable } from '../../helpers/wait.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// A desaturation rule with a condition delay and hysteresis: stateful, so a restart that lost
// or replayed state would show as a missing or repeated transition.
const RULES = {
  version: 1,
  rules: [
    {
      id: 'spo2-low',
      type: 'threshold',
      appliesTo: ['bedside-monitor'],
      metric: 'spo2',
      direction: 'below',
      levels: [{ limit: 90, priority: 'medium', delayMs: 3_000 }],
      clearLimit: 92,
    },
  ],
}

/** SpO2 of device `d` at second `t`: a 6 s dip to 86 % every 20 s, phase-shifted per device. */
const spo2At = (d: number, t: number): number => ((t + d * 3) % 20 < 6 ? 86 : 96)

const key = (a: AlertEvent): string => `${a.alertId}|${a.transition}|${a.eventTsMs}`

describe('integration > processors > alerting killed and restarted mid-stream', () => {
  it('emits every transition exactly once across a SIGKILL, as an uninterrupted engine would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-alert-kill-'))
    const groupId = unique('it-alerting')
    // A known port (not 0): the test reads the processor's /readyz and /metrics.
    const port = await freePort()
    const httpUrl = `http://127.0.0.1:${port}`
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(RULES))
    writeFileSync(
      join(dir, 'alerting.yaml'),
      `groupId: ${groupId}\nrulesFile: ${join(dir, 'rules.json')}\nfromBeginning: false\nmaxBatchSize: 50\nhttp: { port: ${port} }\nlog: { level: warn }\n`,
    )
    const startProcessor = (): CliProcess =>
      spawnCli(['processors', '--only', 'alerting', '--alerting-config', join(dir, 'alerting.yaml')])
    const tap = await tapChannels(testKafka, [CHANNELS.alertEvents])
    let processor = startProcessor()
    const devices = Array.from({ length: 12 }, (_, d) => `${unique('kill')}-${d}`)
    const producer = createKafkaProducer({
      kafka: testKafka,
      clientId: 'it-alert-kill',
      logger: silentLogger,
    })
    await producer.start()
    // Ready before the stream starts: up (/readyz), then its group owns the partitions and their
    // "latest" positions are resolved (a reading on each vitals partition is evaluated).
    await waitForReady(httpUrl, { timeoutMs: 60_000 })
    await warmUpAlerting(producer, {
      keyPrefix: `${groupId}-warm`,
      partitions: TELEMETRY_PARTITIONS,
      records: (outcome) => recordsFromMetrics(httpUrl, outcome),
    })
    const t0 = Date.now() - 120_000
    const seconds = 60
    const readings = devices.map((id, d) =>
      Array.from({ length: seconds }, (_, t) =>
        envelope(id, t + 1, t0 + t * 1_000, [sample('spo2', spo2At(d, t)), sample('heart_rate', 70)]),
      ),
    )
    // A steady stream, killed a third of the way in and restarted while records keep coming.
    const emitted = (): AlertEvent[] =>
      tap.forKeys(devices).flatMap((r) => {
        const decoded = decodeAlertEvent(r.value)
        return decoded.ok ? [decoded.value] : []
      })
    let beforeKill = 0
    for (let t = 0; t < seconds; t++) {
      await Promise.all(
        readings.map((r) => producer.produce(telemetryRecord(r[t]!, { type: 'bedside-monitor' }))),
      )
      if (t === 20) {
        beforeKill = emitted().length
        processor.child.kill('SIGKILL')
        await processor.exited
      }
      if (t === 30) processor = startProcessor()
      await sleep(100) // the stream's pace (the subject: records keep coming across the kill)
    }
    await producer.stop()

    const engine = createAlertEngine({ ruleSet: parseRuleSet(RULES, 'test'), clock: systemClock })
    const expected = readings.flatMap((deviceReadings) =>
      deviceReadings.flatMap((r) =>
        engine.onTelemetry(r, { deviceId: r.deviceId, deviceType: 'bedside-monitor' }, r.deviceTsMs),
      ),
    )
    await eventually(
      () => (new Set(emitted().map(key)).size >= expected.length ? true : undefined),
      60_000,
    ).catch(() => undefined)
    // Repeated transitions, if any, have had their chance to arrive: nothing new for 2 s.
    await waitForStable(() => tap.records.length, { quietMs: 2_000, what: 'alert events to stop' })
    processor.child.kill('SIGTERM')
    await processor.exited
    await tap.stop()

    const got = emitted().map(key)
    console.info('alerting across SIGKILL', {
      expected: expected.length,
      emitted: got.length,
      distinct: new Set(got).size,
    })
    expect(expected.length).toBeGreaterThan(50)
    expect(beforeKill).toBeGreaterThan(0) // the kill hit a processor that was working
    expect([...new Set(got)].sort()).toEqual(expected.map(key).sort())
    expect(got.length).toBe(new Set(got).size) // nothing repeated
  })
})
