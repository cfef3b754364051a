import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { AlertJson } from '../../../processors/sinks/alert-json.js'
import { dedupeKey } from '../../../processors/sinks/alert-json.js'
import { runCli } from '../../helpers/cli.js'
import { spawnCli } from '../../helpers/processes.js'
import { eventually, unique } from '../../helpers/services.js'
import { alertStream, createAlertTopic, produceAlerts, readJsonLines, tempDir } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe('integration > sinks > pulsewire alerts (CLI)', () => {
  it('runs console and jsonl sinks from flags, skips an undecodable record, and stops cleanly on Ctrl-C', async () => {
    const topic = await createAlertTopic(2)
    cleanups.push(() => topic.remove())
    const dir = tempDir()
    const file = join(dir, 'out', 'alerts.jsonl')
    const events = alertStream(unique('cli'), 6, 2)
    await produceAlerts(topic.name, [
      ...events.slice(0, 3),
      Buffer.from('not protobuf at all'),
      ...events.slice(3),
    ])
    const cli = spawnCli(
      [
        'alerts',
        '--console',
        '--jsonl',
        file,
        '--channel',
        topic.name,
        '--group-prefix',
        `${unique('it-cli')}-`,
        '--from-beginning',
        '--dead-letter-dir',
        dir,
        '--http-port',
        '0',
      ],
      { PULSEWIRE__LOG__LEVEL: 'info' },
    )
    await eventually(
      () => (readJsonLines<AlertJson>(file).length >= events.length ? true : undefined),
      30_000,
    )
    // Every event on the console, not only the last one produced: the two partitions are printed
    // in no particular order across each other, so the last event says nothing of the other one.
    const printed = (event: (typeof events)[number]): RegExp =>
      new RegExp(`MEDIUM (raised|cleared) +${event.deviceId} +spo2-low +${event.message}`)
    await eventually(() => (events.every((e) => printed(e).test(cli.stdout())) ? true : undefined), 10_000)
    cli.child.kill('SIGINT')
    expect(await cli.exited).toBe(0)

    const lines = readJsonLines<AlertJson>(file)
    expect(lines.map((l) => l.idempotencyKey).sort()).toEqual(events.map(dedupeKey).sort())
    expect(lines[0]).toMatchObject({ schema: 'pulsewire.alert.v1', ruleId: 'spo2-low', metric: 'spo2' })
    const out = cli.stdout()
    for (const event of events) expect(out).toMatch(printed(event))
    expect(out).not.toContain('\x1b[') // not a terminal: no colour
    expect(out).toContain('not an AlertEvent; skipped')
  })

  it('refuses a bad configuration with exit 78, listing every problem', () => {
    const dir = tempDir()
    const config = join(dir, 'bad.yaml')
    writeFileSync(
      config,
      [
        'channel: alerts.events.v1',
        'fromBegining: true',
        'sinks:',
        '  - { type: webhook, url: "http://127.0.0.1:9/hook", secretEnv: NOT_SET_ANYWHERE }',
        '  - { type: jsonl }',
        '  - { type: sms, to: "+441234" }',
        '  - { type: console, colour: rainbow }',
      ].join('\n'),
    )
    const result = runCli(['alerts', '--config', config], { NOT_SET_ANYWHERE: '' }, 30_000)
    expect(result.status).toBe(78)
    expect(result.stderr).toContain('error [CFG_INVALID] invalid configuration')
    expect(result.stderr).toContain('5 problems')
    for (const path of [
      'fromBegining',
      'sinks.0.secretEnv',
      'sinks.1.file',
      'sinks.2.type',
      'sinks.3.colour',
    ]) {
      expect(result.stderr).toContain(`  - ${path}: `)
    }
    const none = runCli(['alerts'], {}, 30_000)
    expect(none.status).toBe(78)
    expect(none.stderr).toContain('no sink: give --console')
  })

  it('documents itself with examples, and enrols alert publishers and viewers by role', () => {
    const help = runCli(['alerts', '--help'], {}, 30_000)
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage: pulsewire alerts')
    expect(help.stdout).toContain('--webhook-secret-env')
    expect(help.stdout).toContain('Examples:')

    const registry = join(tempDir(), 'devices.yaml')
    expect(
      runCli(['devices', 'add', 'ward-app', '--role', 'alert-viewer', '-r', registry], {}, 30_000).status,
    ).toBe(0)
    expect(runCli(['devices', 'add', 'bm-1', '-r', registry], {}, 30_000).status).toBe(0)
    const list = runCli(['devices', 'list', '-r', registry], {}, 30_000)
    expect(list.stdout).toMatch(/^DEVICE\s+ROLE\s+TYPE/m)
    expect(list.stdout).toMatch(/^ward-app\s+alert-viewer\s/m)
    expect(list.stdout).toMatch(/^bm-1\s+device\s/m)
    expect(runCli(['devices', 'add', 'x', '--role', 'admin', '-r', registry], {}, 30_000).status).not.toBe(0)
  })
})
