import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../../core/alerts/alert-event.js'
import { systemClock } from '../../../../core/clock.js'
import { committedOffsets } from '../../../../core/kafka/admin.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import { CHANNELS, TELEMETRY_PARTITIONS } from '../../../../core/telemetry/topics.js'
import { createAlertEngine } from '../../../../processors/alerting/engine/engine.js'
import { parseRuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import { recordsFromMetrics, warmUpAlerting } from '../../../helpers/alerting.js'
import { tapChannels, type Tap } from '../../../helpers/kafka-tap.js'
import { freePort, spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { eventually, silentLogger, testKafka, unique } from '../../../helpers/services.js'
import { envelope, sample, telemetryRecord } from '../../../helpers/telemetry-fixtures.js'
import { waitFor, waitForReady, waitForStable } from '../../../helpers/wait.js'

// ADR 0006, revision of 2026-12-03: a device's state is written with its transitions and at most
// every state.maxDirtyMs otherwise; the partitions' commits wait for the unwritten records. Killed
// while devices are dirty (one group halfway through a condition delay), the restarted processor
// re-reads from the held-back commit: the records the written states reflect are skipped, the rest
// evaluated again, and every transition comes out exactly once, as from an uninterrupted engine.
const RULES = {
  version: 1,
  rules: [
    {
      id: 'spo2-low',
      type: 'threshold',
      appliesTo: ['bedside-monitor'],
      metric: 'spo2',
      direction: 'below',
      levels: [{ limit: 90, priority: 'medium', delayMs: 4_000 }],
      clearLimit: 92,
    },
  ],
}

/**
 * Three groups of devices, second t of device time. pending: a dip from 6 s, its 4 s delay still
 * running at the kill (after 9 s), raised only after the restart. short: a 3 s dip, never raised
 * (state changes, no transition). early: raised at 4 s and cleared at 6 s before the kill (its
 * state written then), then a second dip after the restart.
 */
const GROUPS = ['pending', 'short', 'early'] as const
const dip: Record<(typeof GROUPS)[number], (t: number) => boolean> = {
  pending: (t) => t >= 6 && t <= 14,
  short: (t) => t >= 1 && t <= 3,
  early: (t) => (t >= 0 && t <= 5) || (t >= 18 && t <= 24),
}
const KILL_AFTER_S = 9
const SECONDS = 30

const key = (a: AlertEvent): string => `${a.alertId}|${a.transition}|${a.eventTsMs}`

let processor: CliProcess | undefined
let tap: Tap | undefined
let producer: KafkaProducer | undefined

afterEach(async () => {
  if (processor && processor.child.exitCode === null && processor.child.signalCode === null) {
    processor.child.kill('SIGKILL')
    await processor.exited
  }
  processor = undefined
  await tap?.stop()
  tap = undefined
  await producer?.stop()
  producer = undefined
})

async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('integration > processors > alerting killed while device states are unwritten', () => {
  it('re-reads from the held-back commit and emits every transition exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-dirty-kill-'))
    const groupId = unique('it-dirty-kill')
    const port = await freePort()
    const httpUrl = `http://127.0.0.1:${port}`
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(RULES))
    // A dirty state is written after a minute: within this test only transitions write one.
    writeFileSync(
      join(dir, 'alerting.yaml'),
      `groupId: ${groupId}\nrulesFile: ${join(dir, 'rules.json')}\nfromBeginning: false\nmaxBatchSize: 20\nstate: { maxDirtyMs: 60000 }\nhttp: { port: ${port} }\nlog: { level: warn }\n`,
    )
    const start = (): CliProcess =>
      spawnCli(['processors', '--only', 'alerting', '--alerting-config', join(dir, 'alerting.yaml')])
    tap = await tapChannels(testKafka, [CHANNELS.alertEvents])
    producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-dirty-kill', logger: silentLogger })
    await producer.start()
    processor = start()
    await waitForReady(httpUrl, { timeoutMs: 60_000 })
    await warmUpAlerting(producer, {
      keyPrefix: `${groupId}-warm`,
      partitions: TELEMETRY_PARTITIONS,
      records: (outcome) => recordsFromMetrics(httpUrl, outcome),
    })

    const devices = GROUPS.flatMap((group) => [0, 1, 2].map((i) => ({ id: `${unique(group)}-${i}`, group })))
    const t0 = Date.now() - 120_000
    const readings = devices.map(({ id, group }) =>
      Array.from({ length: SECONDS }, (_, t) =>
        envelope(id, t + 1, t0 + t * 1_000, [sample('spo2', dip[group](t) ? 86 : 96)]),
      ),
    )
    const emitted = (): AlertEvent[] =>
      tap!.forKeys(devices.map((d) => d.id)).flatMap((r) => {
        const decoded = decodeAlertEvent(r.value)
        return decoded.ok ? [decoded.value] : []
      })
    /** Per vitals partition: the offset of the first record of the pending group, and one past the last record. */
    const firstPending = new Map<number, number>()
    const ends = new Map<number, number>()
    const second = async (t: number): Promise<void> => {
      await Promise.all(
        readings.map(async (r, d) => {
          const at = await producer!.produce(telemetryRecord(r[t]!, { type: 'bedside-monitor' }))
          ends.set(at.partition, Math.max(ends.get(at.partition) ?? 0, at.offset + 1))
          if (devices[d]!.group === 'pending' && !firstPending.has(at.partition))
            firstPending.set(at.partition, at.offset)
        }),
      )
    }

    const before = await recordsFromMetrics(httpUrl, 'evaluated')
    for (let t = 0; t <= KILL_AFTER_S; t++) await second(t)
    await waitFor(
      async () =>
        (await recordsFromMetrics(httpUrl, 'evaluated')) - before >= devices.length * (KILL_AFTER_S + 1),
      { timeoutMs: 30_000, what: 'the first 10 s of readings to be evaluated' },
    )
    await eventually(() => (emitted().length >= 6 ? true : undefined), 30_000) // early: raised, cleared
    // Evaluated, but not written: the pending and short devices are dirty, and the commit of
    // their partitions waits at (or before) their first record.
    expect(await metric(httpUrl, 'pulsewire_alerting_dirty_devices')).toBeGreaterThanOrEqual(6)
    const committed = await committedOffsets(
      testKafka,
      groupId,
      [...firstPending.keys()].map((partition) => ({ topic: CHANNELS.vitals, partition })),
    )
    expect(committed.length).toBe(firstPending.size)
    for (const c of committed) {
      expect(c.offset).toBeLessThanOrEqual(firstPending.get(c.partition)!)
      expect(c.offset).toBeLessThan(ends.get(c.partition)!)
    }
    const beforeKill = emitted().map(key)
    processor.child.kill('SIGKILL')
    await processor.exited

    processor = start()
    await waitForReady(httpUrl, { timeoutMs: 60_000 })
    for (let t = KILL_AFTER_S + 1; t < SECONDS; t++) await second(t)

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
    await waitForStable(() => tap!.records.length, { quietMs: 2_000, what: 'alert events to stop' })
    // The replay path was taken: records the early devices' written states reflect were read
    // again and skipped; the unwritten ones were evaluated again.
    const skipped = await recordsFromMetrics(httpUrl, 'skipped_replayed')
    const evaluated = await recordsFromMetrics(httpUrl, 'evaluated')
    processor.child.kill('SIGTERM')
    await processor.exited

    const got = emitted().map(key)
    console.info('alerting killed with dirty states', {
      expected: expected.length,
      beforeKill: beforeKill.length,
      emitted: got.length,
      skipped,
      evaluated,
    })
    expect(beforeKill.length).toBe(6) // the early dips came and went before the kill
    expect(skipped).toBeGreaterThanOrEqual(3 * 7) // early devices: their records to the clear at 6 s
    // The pending and short devices' first 10 s were evaluated again after the restart.
    expect(evaluated).toBeGreaterThanOrEqual(
      6 * (KILL_AFTER_S + 1) + devices.length * (SECONDS - KILL_AFTER_S - 1),
    )
    expect([...new Set(got)].sort()).toEqual(expected.map(key).sort())
    expect(got.length).toBe(new Set(got).size) // nothing repeated
    for (const { id, group } of devices) {
      const mine = emitted()
        .filter((e) => e.deviceId === id)
        .map((e) => `${e.transition}:${e.episode}`)
      const want = {
        pending: ['raised:1', 'cleared:1'],
        short: [],
        early: ['raised:1', 'cleared:1', 'raised:2', 'cleared:2'],
      }[group]
      expect(mine, `${group} device ${id}`).toEqual(want)
    }
  })
})
