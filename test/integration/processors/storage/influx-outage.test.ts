import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent } from '../../../../core/alerts/alert-event.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { loadRuleSet } from '../../../../processors/alerting/rules/rule-set.js'
import { startTestAlerting, type TestAlerting } from '../../../helpers/alerting.js'
import { repoRoot } from '../../../helpers/cli.js'
import { tapChannels } from '../../../helpers/kafka-tap.js'
import { envelope, sample, telemetryRecord } from '../../../helpers/telemetry-fixtures.js'
import { endOffsets } from '../../../../core/kafka/admin.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import { STORAGE_CHANNELS } from '../../../../core/influx/layout.js'
import { privateInflux } from '../../../helpers/private-influx.js'
import { recordFigures } from '../../../helpers/fault-figures.js'
import { waitFor, waitForStable } from '../../../helpers/wait.js'
import { eventually, silentLogger, testKafka, unique } from '../../../helpers/services.js'
import {
  primePartitions,
  sleep,
  startStorage,
  startStream,
  testDatabase,
  type RunningStorage,
} from './harness.js'

const outage = privateInflux('it-private-influx', 18_286)
let producer: KafkaProducer

beforeAll(async () => {
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-storage-outage', logger: silentLogger })
  await producer.start()
  await outage.start()
})

afterAll(async () => {
  await producer.stop()
  await outage.destroy()
})

/** Records on the storage channels not yet committed by the group (partitions it has committed). */
async function lag(storage: RunningStorage): Promise<number> {
  const committed = storage.service.consumer.committedOffsets()
  const ends = (await Promise.all(STORAGE_CHANNELS.map((topic) => endOffsets(testKafka, topic)))).flat()
  return ends.reduce((sum, tp) => {
    const offset = committed.get(`${tp.topic}/${tp.partition}`)
    return offset === undefined ? sum : sum + (tp.offset - offset)
  }, 0)
}

/** The alerting group next to storage: it never touches InfluxDB, so an outage must not delay it. */
function startAlerting(): Promise<TestAlerting> {
  return startTestAlerting({
    ruleSet: loadRuleSet(`${repoRoot}/deploy/rules/default.yaml`),
    groupId: unique('it-outage-alerting'),
    onFatal: () => undefined,
  })
}

describe('integration > processors > storage > InfluxDB outage (private influxd)', () => {
  it('lags while InfluxDB is down for a minute, alerting does not, then stores every point exactly once', async () => {
    const alerting = await startAlerting()
    const alerts = await tapChannels(testKafka, [CHANNELS.alertEvents])
    const db = await testDatabase(outage.influx, 'it_storage_outage')
    const running = await startStorage({
      groupId: unique('it-storage-outage'),
      influx: db.config,
      retry: { minDelayMs: 200, maxDelayMs: 2_000 },
    })
    try {
      await primePartitions(running, producer)
      const devices = Array.from({ length: 6 }, (_, i) => `${unique('outage')}-${i}`)
      const stream = startStream(producer, devices, 20)
      await eventually(
        async () => ((await db.countsPerDevice()).size === devices.length ? true : undefined),
        10_000,
      )

      const retriesBeforeStop = await running.metric('pulsewire_storage_write_retries_total')
      await outage.stop()
      const stoppedAt = Date.now()
      const producedAtStop = stream.total()
      // The write in flight at the stop has failed (and is being retried) by now.
      await waitFor(
        async () => (await running.metric('pulsewire_storage_write_retries_total')) > retriesBeforeStop,
        { timeoutMs: 10_000, what: 'a failed write to the stopped InfluxDB' },
      )
      // And the writes that succeeded just before it have committed: no commit for 2 s.
      await waitForStable(() => [...running.service.consumer.committedOffsets()], {
        quietMs: 2_000,
        what: 'the commits of the writes before the stop',
      })
      const committedAtStart = new Map(running.service.consumer.committedOffsets())
      const lagAtStart = await lag(running)
      const producedAtLagStart = stream.total()
      const retriesAtStart = await running.metric('pulsewire_storage_write_retries_total')
      expect((await fetch(`${running.httpUrl()}/readyz`)).status).toBe(503)

      // A desaturation to 80 % during the outage: the undelayed high-priority SpO2 alarm is out at once.
      const patient = unique('outage-desat')
      const desatAt = Date.now()
      for (let i = 0; i < 3; i++) {
        await producer.produce(
          telemetryRecord(
            envelope(patient, i + 1, desatAt + i * 1_000, [sample('spo2', 80), sample('heart_rate', 80)]),
            {
              type: 'bedside-monitor',
            },
          ),
        )
      }
      const alarm = await eventually(() => {
        const found = alerts.forKeys([patient]).map((r) => decodeAlertEvent(r.value))
        return found.find((a) => a.ok && a.value.ruleId === 'spo2-low' && a.value.transition === 'raised')
      }, 20_000)
      const alarmDelayMs = Date.now() - desatAt
      expect(alarm.ok && alarm.value.priority).toBe('high')
      expect(alarmDelayMs).toBeLessThan(10_000)

      // The outage is the subject: InfluxDB stays down for about a minute.
      await sleep(Math.max(0, 58_000 - (Date.now() - desatAt)))
      expect(new Map(running.service.consumer.committedOffsets())).toEqual(committedAtStart)
      const producedAtLagEnd = stream.total()
      const lagAtEnd = await lag(running)
      const producedDuringOutage = stream.total() - producedAtStop
      // Every record produced meanwhile adds to the lag (others' traffic on the channels only adds more).
      expect(lagAtEnd - lagAtStart).toBeGreaterThanOrEqual(
        producedAtLagEnd - producedAtLagStart - devices.length * 5,
      )
      expect(await running.metric('pulsewire_storage_write_retries_total')).toBeGreaterThan(retriesAtStart)

      await outage.start()
      const restartedAt = Date.now()
      // Caught up = everything produced until InfluxDB came back is stored (the stream goes on).
      const backlog = new Map(devices.map((d) => [d, stream.produced.get(d)?.length ?? 0]))
      await eventually(async () => {
        const counts = await db.countsPerDevice()
        return devices.every((d) => (counts.get(d) ?? 0) >= (backlog.get(d) ?? 0)) ? true : undefined
      }, 30_000)
      const caughtUpMs = Date.now() - restartedAt
      await stream.stop()
      await eventually(async () => {
        const counts = await db.countsPerDevice()
        return devices.every((d) => counts.get(d) === stream.produced.get(d)?.length) ? true : undefined
      }, 20_000)
      const counts = await db.countsPerDevice()
      for (const device of devices) expect(counts.get(device)).toBe(new Set(stream.produced.get(device)).size)
      expect((await fetch(`${running.httpUrl()}/readyz`)).status).toBe(200)
      const distinct = devices.reduce((n, d) => n + new Set(stream.produced.get(d)).size, 0)
      const stored = devices.reduce((n, d) => n + (counts.get(d) ?? 0), 0)
      recordFigures('row6-influx-outage', {
        outageMs: restartedAt - stoppedAt,
        producedDuringOutage,
        lagAtOutageStart: lagAtStart,
        lagAtOutageEnd: lagAtEnd,
        recoveryMs: caughtUpMs,
        published: stream.total(),
        lost: distinct - Math.min(distinct, stored),
        duplicatesAfterDedupe: Math.max(0, stored - distinct),
        retries: await running.metric('pulsewire_storage_write_retries_total'),
        alarmDuringOutageMs: alarmDelayMs,
      })
    } finally {
      await alerts.stop()
      await alerting.stop()
      await running.stop()
    }
  })
})
