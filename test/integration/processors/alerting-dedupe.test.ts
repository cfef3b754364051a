import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent } from '../../../core/alerts/alert-event.js'
import { systemClock } from '../../../core/clock.js'
import type { Component } from '../../../core/lifecycle.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import type { OutgoingRecord } from '../../../core/kafka/records.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { alertingConfigSchema } from '../../../processors/alerting/config.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { createAlertingService } from '../../../processors/alerting/service.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, silentLogger, testKafka, unique } from '../../helpers/services.js'
import { envelope, sample, telemetryRecord } from '../../helpers/telemetry-fixtures.js'

// Issue #9 finding 5: a device resends its unacknowledged messages after an outage, and some of
// them are already in Kafka. Each copy must be dropped by (device, boot, seq), not evaluated
// again, also by an alerting instance restarted in between (the windows are in alerts.state.v1).
const RULES = parseRuleSet(
  {
    version: 1,
    rules: [
      {
        id: 'spo2-low',
        type: 'threshold',
        appliesTo: ['bedside-monitor'],
        metric: 'spo2',
        direction: 'below',
        levels: [{ limit: 90, priority: 'medium', delayMs: 2_000 }],
        clearLimit: 92,
      },
    ],
  },
  'dedupe test rules',
)

const groupId = unique('it-dedupe')
const started: Component[] = []
let tap: Tap | undefined

afterAll(async () => {
  await tap?.stop()
  for (const c of started.reverse()) await c.stop().catch(() => undefined)
})

async function startAlerting(): Promise<{ registry: Registry; stop: () => Promise<void> }> {
  const registry = new Registry()
  const service = createAlertingService({
    config: alertingConfigSchema.parse({
      kafka: testKafka,
      groupId,
      transactionalId: `${groupId}-tx`,
      fromBeginning: false,
      http: { port: 0 },
      log: { level: 'silent' },
    }),
    ruleSet: RULES,
    logger: silentLogger,
    registry,
    clock: systemClock,
    onFatal: (err) => {
      throw err
    },
  })
  const mine: Component[] = []
  for (const c of service.components) {
    await c.start()
    started.push(c)
    mine.push(c)
  }
  // Ready: the group owns its partitions (it starts at the latest offsets, so records produced
  // before would be missed).
  await eventually(() => ((service.consumer()?.assignments().length ?? 0) > 0 ? true : undefined), 60_000)
  return {
    registry,
    stop: async () => {
      for (const c of mine.reverse()) {
        await c.stop()
        started.splice(started.indexOf(c), 1)
      }
    },
  }
}

const counter = async (registry: Registry, name: string, outcome: string): Promise<number> => {
  const metric = await registry.getSingleMetric(name)?.get()
  return (metric?.values ?? []).filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0)
}

describe('integration > processors > alerting drops duplicate telemetry by (device, boot, seq)', () => {
  it('evaluates each reading once: resent copies, before and after a restart, change nothing', async () => {
    const devices = [unique('dup-a'), unique('dup-b')]
    tap = await tapChannels(testKafka, [CHANNELS.alertEvents])
    const producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-dedupe', logger: silentLogger })
    await producer.start()
    const t0 = Date.now() - 60_000
    // 20 s of 1 Hz readings per device with a 6 s dip to 86 %: raised after 2 s, cleared at 96 %.
    const records: OutgoingRecord[] = devices.flatMap((id) =>
      Array.from({ length: 20 }, (_, t) =>
        telemetryRecord(envelope(id, t + 1, t0 + t * 1000, [sample('spo2', t >= 5 && t < 11 ? 86 : 96)]), {
          type: 'bedside-monitor',
        }),
      ),
    )
    const events = () =>
      tap!.forKeys(devices).flatMap((r) => {
        const decoded = decodeAlertEvent(r.value)
        return decoded.ok ? [decoded.value] : []
      })
    const story = () => events().map((e) => `${e.deviceId.slice(0, 5)}:${e.transition}:${e.episode}`)

    const first = await startAlerting()
    // Ready: a record produced now is consumed (a new group's "latest" position is resolved lazily).
    const warm = `${devices[0]}-warm`
    let warmSeq = 0
    await eventually(async () => {
      warmSeq++ // a new seq each time: a repeated one would (rightly) count as a duplicate
      await producer.produce(
        telemetryRecord(envelope(warm, warmSeq, t0 + warmSeq, [sample('spo2', 97)]), {
          type: 'bedside-monitor',
        }),
      )
      return (await counter(first.registry, 'pulsewire_alerting_records_total', 'evaluated')) > 0
        ? true
        : undefined
    }, 60_000)
    for (const r of records) await producer.produce(r)
    // The device resends the second half (its PUBACKs were lost), while the same instance runs.
    for (const r of records.filter((_, i) => i % 20 >= 10)) await producer.produce(r)
    await eventually(async () => {
      const seen = await counter(first.registry, 'pulsewire_alerting_records_total', 'duplicate')
      return seen >= 20 ? true : undefined
    }, 60_000)
    expect(await counter(first.registry, 'pulsewire_alerting_records_total', 'duplicate')).toBe(20)
    await eventually(() => (events().length >= 4 ? true : undefined), 30_000)
    await first.stop()

    // A new instance of the group (a restart): the device resends everything once more.
    const second = await startAlerting()
    for (const r of records) await producer.produce(r)
    // Then one genuinely new reading per device: a new dip, so the stream is seen to move on.
    for (const id of devices) {
      for (let t = 20; t < 24; t++) {
        const r = telemetryRecord(envelope(id, t + 1, t0 + t * 1000, [sample('spo2', 85)]), {
          type: 'bedside-monitor',
        })
        await producer.produce(r)
      }
    }
    await producer.stop()
    await eventually(() => (events().length >= 6 ? true : undefined), 60_000)
    // Every copy is dropped: as a duplicate, or (a batch the first instance had already put in its
    // state) as replayed. None is evaluated: only the 8 new readings are.
    const outcomes = async () => ({
      duplicate: await counter(second.registry, 'pulsewire_alerting_records_total', 'duplicate'),
      replayed: await counter(second.registry, 'pulsewire_alerting_records_total', 'skipped_replayed'),
      evaluated: await counter(second.registry, 'pulsewire_alerting_records_total', 'evaluated'),
    })
    await eventually(async () => {
      const o = await outcomes()
      return o.duplicate + o.replayed >= 40 && o.evaluated >= 8 ? true : undefined
    }, 60_000).catch(async (err: unknown) => {
      console.info('second instance', await outcomes(), story())
      throw err
    })
    console.info('transitions with resends', story(), await outcomes())

    const o = await outcomes()
    expect(o.duplicate).toBeGreaterThanOrEqual(20) // at least the copies of records committed before the restart
    expect(o.duplicate + o.replayed).toBe(40)
    expect(o.evaluated).toBe(8)
    // Each transition exactly once: episode 1 raised + cleared, episode 2 raised (the new dip).
    for (const id of devices) {
      const mine = events().filter((e) => e.deviceId === id)
      expect(mine.map((e) => `${e.transition}:${e.episode}:${e.late}`)).toEqual([
        'raised:1:false',
        'cleared:1:false',
        'raised:2:false',
      ])
    }
  })
})
