import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlertJson } from '../../../processors/sinks/alert-json.js'
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
} from './harness.js'

// The alarm path watches itself (issue #9, ADR 0017): a sink that keeps failing, or events that
// stop reaching it, raise a technical alarm through the sinks that still work.
const SECRET = 'it-self-watch-secret-0123456789abcdef'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const selfAlarms = (lines: AlertJson[]): AlertJson[] => lines.filter((l) => l.deviceId === 'pulsewire-sinks')
const story = (lines: AlertJson[]): string[] => selfAlarms(lines).map((l) => `${l.transition} ${l.alertId}`)

async function gauge(url: string, name: string, sink: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`sink="${sink}"`))
  return line === undefined ? undefined : Number(line.split(' ').at(-1))
}

describe('integration > sinks > self-watch', () => {
  it('a dead webhook raises one technical alarm on the console and jsonl sinks, never on itself, and clears when it comes back', async () => {
    const topic = await createAlertTopic(2)
    cleanups.push(() => topic.remove())
    const dir = tempDir()
    const archive = join(dir, 'archive.jsonl')
    const port = await deadPort()
    const config = join(dir, 'sinks.yaml')
    writeFileSync(
      config,
      JSON.stringify({
        channel: topic.name,
        groupPrefix: `${unique('it-watch')}-`,
        fromBeginning: true,
        deadLetterDir: dir,
        http: { port: 0 },
        selfWatch: { failingForMs: 2_000, deadLetters: 1_000, checkIntervalMs: 100 },
        sinks: [
          { type: 'console' },
          { type: 'jsonl', name: 'archive', file: archive },
          {
            type: 'webhook',
            name: 'pager',
            url: `http://127.0.0.1:${port}/hook`,
            secretEnv: 'HOOK_SECRET',
            delivery: { attempts: 3, timeoutMs: 500, initialDelayMs: 100, maxDelayMs: 200 },
          },
        ],
      }),
    )
    const cli = spawnCli(['alerts', '--config', config], {
      HOOK_SECRET: SECRET,
      PULSEWIRE__LOG__LEVEL: 'info',
    })
    cleanups.push(async () => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
      await cli.exited
    })
    const events = alertStream(unique('watch'), 40, 2)
    await produceAlerts(topic.name, events.slice(0, 2))

    // The console (a real `pulsewire alerts` process) says it, marked technical.
    await cli.waitFor('sink-failing.pager', 30_000)
    const raisedLines = (): AlertJson[] => selfAlarms(readJsonLines<AlertJson>(archive))
    const raised = await eventually(() => raisedLines()[0])
    expect(raised).toMatchObject({
      alertId: 'pulsewire-sinks/sink-failing.pager/1',
      kind: 'technical',
      priority: 'high',
      ruleType: 'sink-watch',
      transition: 'raised',
    })
    expect(cli.stdout()).toMatch(
      /HIGH +raised +pulsewire-sinks +sink-failing\.pager +TECHNICAL alert sink pager failing/,
    )

    // Still dead for several more windows, with more events failing on it: no second raise.
    await produceAlerts(topic.name, events.slice(2, 6))
    const letters = join(dir, 'pager.dead-letters.jsonl')
    await eventually(
      () =>
        readJsonLines(letters).length >= 6 && Date.now() - raised.emittedTsMs > 3 * 2_000 ? true : undefined,
      60_000,
    )
    expect(story(readJsonLines<AlertJson>(archive))).toEqual(['raised pulsewire-sinks/sink-failing.pager/1'])

    // The webhook comes back where it was; its next delivery clears the alarm.
    const receiver = await startReceiver(SECRET, () => ({ status: 200 }), port)
    cleanups.push(() => receiver.stop())
    await produceAlerts(topic.name, events.slice(6, 8))
    await eventually(() => (raisedLines().length >= 2 ? true : undefined), 30_000)
    await eventually(() => (receiver.accepted.size >= 2 ? true : undefined), 30_000)
    await cli.waitFor('delivering again', 10_000)
    cli.child.kill('SIGINT')
    expect(await cli.exited).toBe(0)

    const lines = readJsonLines<AlertJson>(archive)
    expect(story(lines)).toEqual([
      'raised pulsewire-sinks/sink-failing.pager/1',
      'cleared pulsewire-sinks/sink-failing.pager/1',
    ])
    // The archive still got every channel event; no alarm about the healthy sinks.
    expect(lines.filter((l) => l.deviceId !== 'pulsewire-sinks')).toHaveLength(8)
    expect(cli.stdout()).not.toMatch(/sink-(failing|stalled)\.(console|archive)/)
    // The dead sink never carried (or dead-lettered) its own alarm: no loop.
    expect([...receiver.accepted.values()].some((b) => b.includes('pulsewire-sinks'))).toBe(false)
    expect(readJsonLines(letters).every((l) => l.event.deviceId !== 'pulsewire-sinks')).toBe(true)
    expect(cli.stdout().match(/raised +pulsewire-sinks/g)).toHaveLength(1)
    expect(cli.stdout().match(/cleared +pulsewire-sinks/g)).toHaveLength(1)
    // One log line on raise, one on clear: not one per attempt.
    expect(cli.stdout().match(/technical alarm raised through the other sinks/g)).toHaveLength(1)
    expect(cli.stdout().match(/technical alarm cleared/g)).toHaveLength(1)
  })

  it('a hung webhook (connection accepted, no answer) raises "events not reaching sink", cleared once it answers', async () => {
    const topic = await createAlertTopic(1)
    cleanups.push(() => topic.remove())
    const dir = tempDir()
    const archive = join(dir, 'archive.jsonl')
    // Answers the first request after 5 s only: long past the stall window, inside the timeout.
    const receiver = await startReceiver(SECRET, (_key, nth) => ({
      status: 200,
      delayMs: nth === 1 ? 5_000 : 0,
    }))
    cleanups.push(() => receiver.stop())
    const sinks = await startSinks({
      channel: topic.name,
      groupPrefix: `${unique('it-stall')}-`,
      deadLetterDir: dir,
      selfWatch: { stalledForMs: 1_500, failingForMs: 60_000, checkIntervalMs: 100, priority: 'medium' },
      sinks: [
        { type: 'jsonl', name: 'archive', file: archive },
        {
          type: 'webhook',
          name: 'pager',
          url: receiver.url,
          secret: SECRET,
          delivery: { attempts: 2, timeoutMs: 30_000 },
        },
      ],
    })
    cleanups.push(() => sinks.stop())
    const url = `http://127.0.0.1:${sinks.built.service.http.address()?.port ?? 0}`
    const events = alertStream(unique('stall'), 3, 1)
    await produceAlerts(topic.name, events)

    const raised = await eventually(() => selfAlarms(readJsonLines<AlertJson>(archive))[0], 20_000)
    expect(raised).toMatchObject({
      alertId: 'pulsewire-sinks/sink-stalled.pager/1',
      kind: 'technical',
      priority: 'medium',
      transition: 'raised',
    })
    expect(raised.message).toMatch(/alert events not reaching sink pager: \d+ waiting/)
    expect(receiver.accepted.size).toBe(0) // it really was stuck when the alarm went out
    expect(await gauge(url, 'pulsewire_sink_healthy', 'pager')).toBe(0)
    expect(await gauge(url, 'pulsewire_sink_healthy', 'archive')).toBe(1)

    await eventually(() => (receiver.accepted.size === events.length ? true : undefined), 30_000)
    await eventually(
      () => (selfAlarms(readJsonLines<AlertJson>(archive)).length >= 2 ? true : undefined),
      10_000,
    )
    expect(story(readJsonLines<AlertJson>(archive))).toEqual([
      'raised pulsewire-sinks/sink-stalled.pager/1',
      'cleared pulsewire-sinks/sink-stalled.pager/1',
    ])
    expect(receiver.requests).toHaveLength(events.length) // one attempt each: it was slow, not failing
    expect(await gauge(url, 'pulsewire_sink_healthy', 'pager')).toBe(1)
  })

  it('keeps an open alarm across a restart of the sinks: same episode, no second raise, cleared on the next delivery', async () => {
    const topic = await createAlertTopic(1)
    cleanups.push(() => topic.remove())
    const dir = tempDir()
    const archive = join(dir, 'archive.jsonl')
    const port = await deadPort()
    const raw = {
      channel: topic.name,
      groupPrefix: `${unique('it-watch-restart')}-`,
      deadLetterDir: dir,
      selfWatch: { failingForMs: 1_000, deadLetters: 1_000, checkIntervalMs: 100 },
      sinks: [
        { type: 'jsonl', name: 'archive', file: archive },
        {
          type: 'webhook',
          name: 'pager',
          url: `http://127.0.0.1:${port}/hook`,
          secret: SECRET,
          delivery: { attempts: 2, timeoutMs: 500, initialDelayMs: 50, maxDelayMs: 100 },
        },
      ],
    }
    const events = alertStream(unique('restart'), 6, 1)
    const letters = join(dir, 'pager.dead-letters.jsonl')
    const first = await startSinks(raw)
    await produceAlerts(topic.name, events.slice(0, 2))
    await eventually(() => selfAlarms(readJsonLines<AlertJson>(archive))[0], 20_000)
    await first.stop()

    const second = await startSinks(raw)
    cleanups.push(() => second.stop())
    const url = `http://127.0.0.1:${second.built.service.http.address()?.port ?? 0}`
    const restartedAt = Date.now()
    expect(await eventually(() => gauge(url, 'pulsewire_sink_healthy', 'pager'))).toBe(0)
    // Still dead after the restart, for several windows: the open episode is not raised again.
    await produceAlerts(topic.name, events.slice(2, 4))
    await eventually(
      () => (readJsonLines(letters).length >= 4 && Date.now() - restartedAt > 3 * 1_000 ? true : undefined),
      30_000,
    )
    expect(story(readJsonLines<AlertJson>(archive))).toEqual(['raised pulsewire-sinks/sink-failing.pager/1'])

    const receiver = await startReceiver(SECRET, () => ({ status: 200 }), port)
    cleanups.push(() => receiver.stop())
    await produceAlerts(topic.name, events.slice(4))
    await eventually(
      () => (selfAlarms(readJsonLines<AlertJson>(archive)).length >= 2 ? true : undefined),
      30_000,
    )
    expect(story(readJsonLines<AlertJson>(archive))).toEqual([
      'raised pulsewire-sinks/sink-failing.pager/1',
      'cleared pulsewire-sinks/sink-failing.pager/1',
    ])
    expect(await gauge(url, 'pulsewire_sink_healthy', 'pager')).toBe(1)
  })
})
