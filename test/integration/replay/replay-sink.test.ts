import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { createKafkaAdmin } from '../../../core/kafka/admin.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import { channelTopicSpecs } from '../../../core/kafka/topic-specs.js'
import { CHANNEL_SPECS, CHANNELS } from '../../../core/telemetry/topics.js'
import type { ReplaySummary } from '../../../processors/replay/replay.js'
import { alertEvent } from '../../helpers/alert-events.js'
import { runCli } from '../../helpers/cli.js'
import { silentLogger, testKafka, unique } from '../../helpers/services.js'

// `pulsewire replay alerts.events.v1 --into sink`: the transitions of a window re-driven into a new
// JSONL sink through the sink runner, exactly those of the window, a duplicate dropped by its dedupe.

const device = unique('rp-alerts')
const dir = mkdtempSync(join(tmpdir(), 'pw-replay-sink-'))
const file = join(dir, 'history.jsonl')
const producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-replay-sink', logger: silentLogger })
const now = Date.now()
const at = (ms: number): string => new Date(ms).toISOString()
const ev = (episode: number, transition: AlertEvent['transition'] = 'raised'): AlertEvent =>
  alertEvent({
    deviceId: device,
    episode,
    transition,
    eventTsMs: now - 60_000 + episode,
    emittedTsMs: now - 60_000 + episode,
  })

const before = ev(1)
const window = [ev(2), ev(2, 'cleared'), ev(3), ev(4)]
const after = ev(5)

function produce(event: AlertEvent, timestamp: number) {
  return producer.produce({
    topic: CHANNELS.alertEvents,
    key: event.deviceId,
    value: Buffer.from(encodeAlertEvent(event)),
    timestamp,
  })
}

beforeAll(async () => {
  const admin = createKafkaAdmin(testKafka)
  await admin.ensureTopics(channelTopicSpecs(CHANNEL_SPECS.filter((s) => s.name === CHANNELS.alertEvents)))
  admin.close()
  await producer.start()
  // Record timestamps place the events in time (what --from/--to judge), in offset order.
  await produce(before, now - 50)
  for (const [i, event] of window.entries()) await produce(event, now - 40 + i)
  await produce(window[0] as AlertEvent, now - 34) // a redelivered copy: same dedupe key
  await produce(after, now - 20)
})

afterAll(async () => {
  await producer.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('pulsewire replay into an alert sink', () => {
  it('delivers exactly the transitions of the window, once each', () => {
    const run = runCli(
      ['replay', CHANNELS.alertEvents, '--from', at(now - 45), '--to', at(now - 25), '--device', device],
      { PULSEWIRE__KAFKA__BROKERS: testKafka.brokers },
    )
    expect(run.status).toBe(78) // no target: a configuration error
    expect(run.stderr).toContain('give exactly one of --into or --to-group')
    const ok = runCli(
      [
        'replay',
        CHANNELS.alertEvents,
        '--from',
        at(now - 45),
        '--to',
        at(now - 25),
        '--device',
        device,
        '--into',
        'sink',
        '--jsonl',
        file,
        '--json',
      ],
      { PULSEWIRE__KAFKA__BROKERS: testKafka.brokers },
    )
    expect(ok.status).toBe(0)
    const summary = JSON.parse(ok.stdout) as ReplaySummary
    expect(summary.target).toBe('sink:replay-jsonl')
    expect(summary.written).toBe(window.length)
    expect(summary.skipReasons).toMatchObject({ duplicate: 1 })
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => [l.alertId, l.transition])).toEqual(window.map((e) => [e.alertId, e.transition]))
  })
})
