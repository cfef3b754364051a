import { afterAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent } from '../../../core/alerts/alert-event.js'
import { systemClock } from '../../../core/clock.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { createAlertEngine } from '../../../processors/alerting/engine/engine.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { startTestAlerting, type TestAlerting } from '../../helpers/alerting.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, silentLogger, testKafka, unique } from '../../helpers/services.js'
import { envelope, sample, telemetryRecord } from '../../helpers/telemetry-fixtures.js'

// Issue #9 finding 6: the replay check compared offsets per topic. A device whose records move to
// another partition of the same channel (more partitions, another partitioner: issue #9 finding 1)
// had every record there below its old offset skipped as "already replayed". The state here is
// written as an older alerting wrote it (per-topic offsets), so loading it is tested as well.
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
        levels: [{ limit: 90, priority: 'medium' }],
        clearLimit: 92,
      },
    ],
  },
  'replay test rules',
)
let alerting: TestAlerting | undefined
let tap: Tap | undefined

afterAll(async () => {
  await tap?.stop()
  await alerting?.stop().catch(() => undefined)
})

describe('integration > processors > alerting replay check per (topic, partition)', () => {
  it('evaluates a device on a new partition even below the offset it had on its old one', async () => {
    const device = unique('moved-bm')
    const producer = createKafkaProducer({
      kafka: testKafka,
      clientId: 'it-replay-partition',
      logger: silentLogger,
    })
    await producer.start()
    const t0 = Date.now() - 30_000
    const reading = (seq: number, spo2: number) =>
      telemetryRecord(envelope(device, seq, t0 + seq * 1000, [sample('spo2', spo2)]), {
        type: 'bedside-monitor',
      })
    // Where the device's key lands now, and the offsets there.
    const probe = await producer.produce(reading(1, 97))
    // Its stored state, as if it had been on another partition with offsets far beyond these.
    const engine = createAlertEngine({ ruleSet: RULES, clock: systemClock })
    engine.onTelemetry(
      envelope(device, 1, t0, [sample('spo2', 97)]),
      { deviceId: device, deviceType: 'bedside-monitor' },
      t0,
    )
    const oldPartition = (probe.partition + 1) % 12
    const legacyState = {
      v: 1,
      offsets: { [CHANNELS.vitals]: probe.offset + 1_000_000 },
      partitions: { [CHANNELS.vitals]: oldPartition },
      engine: engine.snapshot(device)!.toString('base64'),
    }
    await producer.produce({
      topic: CHANNELS.alertState,
      key: device,
      value: Buffer.from(JSON.stringify(legacyState)),
    })

    tap = await tapChannels(testKafka, [CHANNELS.alertEvents])
    alerting = await startTestAlerting({ ruleSet: RULES, groupId: unique('it-replay') })
    const outcome = (name: string): Promise<number> => alerting!.records(name)
    // Ready: a record produced now is consumed (a new group's "latest" position is resolved lazily).
    await alerting.warmUp(producer)

    const dip = await producer.produce(reading(2, 86))
    await producer.produce(reading(3, 96))
    await producer.stop()
    expect(dip.partition).toBe(probe.partition)
    const events = () =>
      tap!.forKeys([device]).flatMap((r) => {
        const decoded = decodeAlertEvent(r.value)
        return decoded.ok ? [decoded.value.transition] : []
      })
    await eventually(() => (events().length >= 2 ? true : undefined), 30_000).catch(async (err: unknown) => {
      console.info('records', {
        evaluated: await outcome('evaluated'),
        skipped: await outcome('skipped_replayed'),
      })
      throw err
    })
    expect(events()).toEqual(['raised', 'cleared'])
    expect(await outcome('skipped_replayed')).toBe(0)
  })
})
