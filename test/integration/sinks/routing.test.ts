import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import { committedOffsets, endOffsets } from '../../../core/kafka/admin.js'
import type { AlertJson } from '../../../processors/sinks/alert-json.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import {
  alertEvent,
  createAlertTopic,
  produceAlerts,
  readJsonLines,
  startReceiver,
  startSinks,
  tempDir,
} from './harness.js'

// Escalation to a second sink (issue #9): a charge-nurse webhook filtered to `escalated` gets only
// those; the archive gets everything; both groups commit past every event.
const SECRET = 'it-routing-secret-0123456789abcdef'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('integration > sinks > routing', () => {
  it('a sink filtered to escalated gets only escalated; the other gets all; offsets committed for both', async () => {
    const topic = await createAlertTopic(2)
    cleanups.push(() => topic.remove())
    const dir = tempDir()
    const archive = join(dir, 'archive.jsonl')
    const charge = await startReceiver(SECRET)
    cleanups.push(() => charge.stop())
    const prefix = `${unique('it-route')}-`
    const sinks = await startSinks({
      channel: topic.name,
      groupPrefix: prefix,
      deadLetterDir: dir,
      sinks: [
        { type: 'jsonl', name: 'archive', file: archive },
        {
          type: 'webhook',
          name: 'charge-nurse',
          url: charge.url,
          secret: SECRET,
          filter: { transitions: ['escalated'] },
        },
      ],
    })
    cleanups.push(() => sinks.stop())

    const deviceId = unique('bm')
    const t0 = Date.now() - 300_000
    const episode = (transition: AlertEvent['transition'], dt: number, extra: Partial<AlertEvent> = {}) =>
      alertEvent({
        deviceId,
        priority: 'high',
        transition,
        eventTsMs: t0 + dt,
        emittedTsMs: Date.now(),
        ...extra,
      })
    const events = [
      episode('raised', 0),
      episode('escalated', 120_000, { escalation: 1 }),
      episode('cleared', 200_000),
      // Another device, medium and never escalated: nothing for the charge nurse.
      alertEvent({ deviceId: `${deviceId}-b`, transition: 'raised', eventTsMs: t0 }),
    ]
    await produceAlerts(topic.name, events)

    await eventually(() => (readJsonLines<AlertJson>(archive).length === events.length ? true : undefined))
    await eventually(() => (charge.accepted.size >= 1 ? true : undefined))
    const ends = await endOffsets(testKafka, topic.name)
    for (const name of ['archive', 'charge-nurse']) {
      await eventually(async () => {
        const committed = await committedOffsets(testKafka, `${prefix}${name}`, ends)
        const all = ends.every(
          (end) =>
            end.offset === 0 || committed.find((c) => c.partition === end.partition)?.offset === end.offset,
        )
        return all ? true : undefined
      }, 20_000)
    }

    expect(
      readJsonLines<AlertJson>(archive)
        .map((l) => l.transition)
        .sort(),
    ).toEqual(['cleared', 'escalated', 'raised', 'raised'])
    expect(charge.requests).toHaveLength(1)
    const got = JSON.parse([...charge.accepted.values()][0] ?? '{}') as AlertJson
    expect(got).toMatchObject({ deviceId, transition: 'escalated', priority: 'high', escalation: 1 })
    // Filtered out is not failed: nothing dead-lettered, counted as filtered.
    expect(readJsonLines(join(dir, 'charge-nurse.dead-letters.jsonl'))).toEqual([])
    const url = `http://127.0.0.1:${sinks.built.service.http.address()?.port ?? 0}`
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toMatch(/^pulsewire_sink_filtered_total\{sink="charge-nurse"[^}]*\} 3$/m)
    expect(metrics).not.toMatch(/^pulsewire_sink_filtered_total\{sink="archive"/m)
  })
})
