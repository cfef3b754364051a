import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { committedOffsets } from '../../../core/kafka/admin.js'
import { watermarks } from '../../../core/kafka/positions.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import type { ReplaySummary } from '../../../processors/replay/replay.js'
import { runCli } from '../../helpers/cli.js'
import { eventually, testInflux, testKafka, unique } from '../../helpers/services.js'
import { telemetryRecord, vitalsReading } from '../../helpers/telemetry-fixtures.js'
import {
  primePartitions,
  testScope,
  type RunningStorage,
  type TestDatabase,
} from '../processors/storage/harness.js'

// `pulsewire replay` of a telemetry channel into InfluxDB through storage's own pipeline, on the
// real stack: the rebuilt window has the counts of the source, a second replay changes none, and
// the live storage group's committed offsets do not move.

const READINGS = 20
const devices = [unique('rp-a'), unique('rp-b'), unique('rp-c')]
const liveGroup = unique('it-replay-live')
const env = { PULSEWIRE__KAFKA__BROKERS: testKafka.brokers, PULSEWIRE__INFLUX__URL: testInflux.url }
const scope = testScope('it-replay-storage')
let source: TestDatabase
let rebuild: TestDatabase
let live: RunningStorage
let fromIso: string

const replay = (args: string[]) => runCli(['replay', CHANNELS.vitals, ...args], env)
const summaryOf = (stdout: string): ReplaySummary => JSON.parse(stdout) as ReplaySummary
const mine = (counts: Map<string, number>) => devices.map((d) => counts.get(d) ?? 0)
const allPartitions = async () =>
  (await watermarks(testKafka, CHANNELS.vitals)).map((m) => ({
    topic: CHANNELS.vitals,
    partition: m.partition,
  }))

beforeAll(async () => {
  await scope.start()
  source = await scope.database('replay_src')
  rebuild = await scope.database('replay_rebuild')
  live = await scope.storage(liveGroup, source.config)
  await primePartitions(live, scope.producer)
  // The window starts here: every record the test produces has a Kafka timestamp at or after it.
  fromIso = new Date(Date.now()).toISOString()
  const base = Date.now()
  await Promise.all(
    devices.flatMap((device) =>
      Array.from({ length: READINGS }, (_, i) =>
        scope.producer.produce(telemetryRecord(vitalsReading(device, i + 1, base - 60_000 + i * 1_000))),
      ),
    ),
  )
  await eventually(async () => {
    const counts = mine(await source.countsPerDevice())
    return counts.every((c) => c === READINGS) ? counts : undefined
  }, 60_000)
  await live.stop()
})

afterAll(() => scope.close())

describe('pulsewire replay into storage', () => {
  it('rebuilds the window into a fresh database with the counts of the source, moving no committed offset', async () => {
    const before = await committedOffsets(testKafka, liveGroup, await allPartitions())
    expect(before.length).toBeGreaterThan(0)

    const run = replay(['--from', fromIso, '--into', 'storage', '--bucket', rebuild.bucket, '--json'])
    expect(run.stderr).not.toContain('error')
    expect(run.status).toBe(0)
    const summary = summaryOf(run.stdout)
    expect(summary.written).toBeGreaterThanOrEqual(devices.length * READINGS)
    expect(summary.partitions.every((p) => p.position === p.to)).toBe(true)
    expect(mine(await rebuild.countsPerDevice())).toEqual(mine(await source.countsPerDevice()))
    expect(mine(await rebuild.countsPerDevice('vitals', 'spo2'))).toEqual(devices.map(() => READINGS))

    // Points are idempotent by identity: the same window into the source again adds nothing.
    const again = replay(['--from', fromIso, '--into', 'storage', '--bucket', source.bucket, '--json'])
    expect(again.status).toBe(0)
    expect(mine(await source.countsPerDevice())).toEqual(devices.map(() => READINGS))

    expect(await committedOffsets(testKafka, liveGroup, await allPartitions())).toEqual(before)
  })

  it('reads only the partition of one device and counts only its records (dry run)', () => {
    const run = replay([
      '--from',
      fromIso,
      '--device',
      devices[0] ?? '',
      '--into',
      'storage',
      '--dry-run',
      '--json',
    ])
    expect(run.status).toBe(0)
    const summary = summaryOf(run.stdout)
    expect(summary.partitions).toHaveLength(1)
    expect(summary.written).toBe(READINGS)
    expect(summary.read).toBe(summary.written + summary.skipped)
  })

  it('positions a brand-new group at the start and refuses a group that has offsets', async () => {
    const group = unique('it-replay-group')
    const run = replay(['--from', fromIso, '--to-group', group, '--json'])
    expect(run.status).toBe(0)
    const summary = summaryOf(run.stdout)
    const committed = await committedOffsets(testKafka, group, await allPartitions())
    expect(committed.map((c) => [c.partition, c.offset])).toEqual(
      summary.partitions.map((p) => [p.partition, p.from]),
    )
    expect(summary.partitions.reduce((n, p) => n + p.to - p.from, 0)).toBeGreaterThanOrEqual(
      devices.length * READINGS,
    )

    const twice = replay(['--from', 'earliest', '--to-group', group])
    expect(twice.status).toBe(1)
    expect(twice.stderr).toContain('REPLAY_GROUP_EXISTS')
    const existing = replay(['--from', 'earliest', '--to-group', liveGroup])
    expect(existing.status).toBe(1)
    expect(existing.stderr).toContain('REPLAY_GROUP_EXISTS')
  })

  it('never re-evaluates telemetry into the live alert channel', () => {
    const run = replay(['--from', fromIso, '--into', 'alerting'])
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('REPLAY_LIVE_ALERTS_REFUSED')
    expect(run.stderr).toContain(CHANNELS.alertEvents)
  })
})
