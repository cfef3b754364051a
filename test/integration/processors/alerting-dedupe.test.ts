import { afterAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent } from '../../../core/alerts/alert-event.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import type { OutgoingRecord } from '../../../core/kafka/records.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { startTestAlerting, type TestAlerting } from '../../helpers/alerting.js'
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
const running: TestAlerting[] = []
let tap: Tap | undefined

afterAll(async () => {
  await tap?.stop()
  for (const a of running.reverse()) await a.stop().catch(() => undefined)
})

/** An instance of the one group (a second call is its restart), ready: inputs owned, /readyz green. */
async function startAlerting(): Promise<TestAlerting> {
  const alerting = await startTestAlerting({
    ruleSet: RULES,
    groupId,
    config: { transactionalId: `${groupId}-tx` },
  })
  running.push(alerting)
  return alerting
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
    // A record produced now is consumed, on every partition (a new group's "latest" position is resolved lazily).
    await first.warmUp(producer)
    for (const r of records) await producer.produce(r)
    // The device resends the second half (its PUBACKs were lost), while the same instance runs.
    for (const r of records.filter((_, i) => i % 20 >= 10)) await producer.produce(r)
    await eventually(async () => {
      const seen = await first.records('duplicate')
      return seen >= 20 ? true : undefined
    }, 60_000)
    expect(await first.records('duplicate')).toBe(20)
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
      duplicate: await second.records('duplicate'),
      replayed: await second.records('skipped_replayed'),
      evaluated: await second.records('evaluated'),
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
