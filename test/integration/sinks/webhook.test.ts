import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { dedupeKey } from '../../../processors/sinks/alert-json.js'
import { spawnCli } from '../../helpers/processes.js'
import { eventually, unique } from '../../helpers/services.js'
import {
  alertStream,
  createAlertTopic,
  deadPort,
  produceAlerts,
  readJsonLines,
  startReceiver,
  startSinks,
  tempDir,
  type Receiver,
} from './harness.js'

const SECRET = 'it-webhook-secret-0123456789abcdef'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text()
}

describe('integration > sinks > webhook', () => {
  it('delivers every transition signed and once, retrying 503s and timeouts; dead-letters 400s at once and a dead receiver after N', async () => {
    const topic = await createAlertTopic(3)
    cleanups.push(() => topic.remove())
    const events = alertStream(unique('wh'), 24)
    const keys = events.map(dedupeKey)
    const flaky = new Set(keys.filter((_, i) => i % 5 === 0))
    const slow = keys[7]
    const good = await startReceiver(SECRET, (key, nth) => {
      if (flaky.has(key) && nth <= 2) return { status: 503 }
      if (key === slow && nth === 1) return { status: 200, delayMs: 1_500 }
      return { status: 200 }
    })
    const refusing = await startReceiver(SECRET, () => ({ status: 400 }))
    cleanups.push(
      () => good.stop(),
      () => refusing.stop(),
    )
    const dir = tempDir()
    const fast = { timeoutMs: 600, initialDelayMs: 50, maxDelayMs: 400 }
    const sinks = await startSinks(
      {
        channel: topic.name,
        groupPrefix: `${unique('it-wh')}-`,
        deadLetterDir: dir,
        // Delivery semantics only: the sinks' alarms about each other are self-watch.test.ts's.
        selfWatch: { enabled: false },
        sinks: [
          {
            type: 'webhook',
            name: 'good',
            url: good.url,
            secretEnv: 'HOOK_SECRET',
            delivery: { attempts: 5, ...fast },
          },
          {
            type: 'webhook',
            name: 'refusing',
            url: refusing.url,
            secret: SECRET,
            delivery: { attempts: 5, ...fast },
          },
          {
            type: 'webhook',
            name: 'down',
            url: `http://127.0.0.1:${await deadPort()}/hook`,
            secretEnv: 'HOOK_SECRET',
            delivery: { attempts: 3, timeoutMs: 600, initialDelayMs: 20, maxDelayMs: 100 },
          },
        ],
      },
      { HOOK_SECRET: SECRET },
    )
    cleanups.push(() => sinks.stop())
    await produceAlerts(topic.name, events)

    const refused = join(dir, 'refusing.dead-letters.jsonl')
    const down = join(dir, 'down.dead-letters.jsonl')
    await eventually(
      () =>
        good.accepted.size === events.length &&
        readJsonLines(refused).length === events.length &&
        readJsonLines(down).length === events.length
          ? true
          : undefined,
      40_000,
    )

    // Every transition accepted once, every request signed correctly; repeats carried the same key.
    expect([...good.accepted.keys()].sort()).toEqual([...keys].sort())
    expect(good.requests.every((r) => r.signatureOk)).toBe(true)
    expect(good.requests.every((r) => keys.includes(r.key))).toBe(true)
    expect(good.requests.filter((r) => flaky.has(r.key) && r.status === 503)).toHaveLength(flaky.size * 2)
    expect(good.requests.filter((r) => r.key === slow).length).toBeGreaterThanOrEqual(2) // timed out, then again
    const body = JSON.parse(good.accepted.get(keys[0] ?? '') ?? '{}') as Record<string, unknown>
    expect(body).toMatchObject({
      schema: 'pulsewire.alert.v1',
      alertId: events[0]?.alertId,
      transition: 'raised',
    })
    expect(body.eventTs).toBe(new Date(events[0]?.eventTsMs ?? 0).toISOString())
    // Per device, the receiver saw the transitions in channel order.
    for (const device of new Set(events.map((e) => e.deviceId))) {
      const sent = keys.filter((_, i) => events[i]?.deviceId === device)
      const got = [...good.accepted.keys()].filter((k) => k.startsWith(`${device}/`))
      expect(got).toEqual(sent)
    }

    // 400: one attempt each, then dead-lettered with the error; nothing else sent.
    expect(refusing.requests).toHaveLength(events.length)
    for (const letter of readJsonLines(refused)) {
      expect(letter).toMatchObject({
        sink: 'refusing',
        attempts: 1,
        error: { code: 'SINK_DELIVERY_REJECTED' },
      })
    }
    // Down the whole time: N attempts each, every transition in the dead-letter file.
    const downLetters = readJsonLines(down)
    expect(downLetters.every((l) => l.attempts === 3 && l.error.code === 'SINK_DELIVERY_FAILED')).toBe(true)
    expect(downLetters.map((l) => l.event.idempotencyKey).sort()).toEqual([...keys].sort())

    const http = `http://127.0.0.1:${sinks.built.service.http.address()?.port}`
    const metrics = await metricsText(http)
    expect(metrics).toMatch(/pulsewire_sink_delivered_total\{[^}]*sink="good"[^}]*\} 24/)
    expect(metrics).toMatch(
      /pulsewire_sink_dead_lettered_total\{[^}]*sink="refusing"[^}]*reason="permanent"[^}]*\} 24/,
    )
    expect(metrics).toMatch(
      /pulsewire_sink_dead_lettered_total\{[^}]*sink="down"[^}]*reason="exhausted"[^}]*\} 24/,
    )
    expect(metrics).toMatch(
      /pulsewire_sink_failed_attempts_total\{[^}]*sink="good"[^}]*reason="timeout"[^}]*\} 1/,
    )
  })

  it('resumes from committed offsets after a SIGKILL mid-stream: nothing lost, repeats only under the same key', async () => {
    const topic = await createAlertTopic(3)
    cleanups.push(() => topic.remove())
    const receiver: Receiver = await startReceiver(SECRET, () => ({ status: 200, delayMs: 30 }))
    cleanups.push(() => receiver.stop())
    const dir = tempDir()
    const config = join(dir, 'sinks.yaml')
    writeFileSync(
      config,
      [
        `channel: ${topic.name}`,
        `groupPrefix: ${unique('it-wh-restart')}-`,
        'fromBeginning: true',
        `deadLetterDir: ${dir}`,
        'http: { port: 0 }',
        'log: { level: warn }',
        'sinks:',
        `  - { type: webhook, url: "${receiver.url}", secretEnv: HOOK_SECRET, delivery: { timeoutMs: 3000 } }`,
      ].join('\n'),
    )
    const first = alertStream(unique('rs'), 40)
    const second = alertStream(unique('rs2'), 40)
    await produceAlerts(topic.name, first)
    const start = () => spawnCli(['alerts', '--config', config], { HOOK_SECRET: SECRET })
    let sink = start()
    await eventually(() => (receiver.accepted.size >= 12 ? true : undefined), 30_000)
    sink.child.kill('SIGKILL')
    await sink.exited
    const beforeRestart = receiver.accepted.size
    await produceAlerts(topic.name, second)
    sink = start()
    const all = [...first, ...second].map(dedupeKey)
    await eventually(() => (receiver.accepted.size === all.length ? true : undefined), 45_000)
    sink.child.kill('SIGTERM')
    expect(await sink.exited).toBe(0)

    console.info('webhook sink across SIGKILL', {
      acceptedBeforeKill: beforeRestart,
      requests: receiver.requests.length,
      repeatsUnderSameKey: receiver.duplicates,
    })
    expect(beforeRestart).toBeLessThan(first.length) // killed mid-stream
    expect([...receiver.accepted.keys()].sort()).toEqual([...all].sort())
    expect(receiver.requests.every((r) => r.signatureOk && all.includes(r.key))).toBe(true)
    expect(readJsonLines(join(dir, 'webhook.dead-letters.jsonl'))).toEqual([])
  })
})
