import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { z } from 'zod'
import { systemClock } from '../../../../core/clock.js'
import { ConfigError } from '../../../../core/errors.js'
import { parseSinksConfig } from '../../../../processors/sinks/config.js'
import { maxPollIntervalMs } from '../../../../processors/sinks/service.js'
import { SINK_TYPES } from '../../../../processors/sinks/index.js'
import { repoRoot } from '../../../helpers/cli.js'

const deps = (env: Record<string, string> = {}) => ({
  env,
  clock: systemClock,
  logger: () => pino({ level: 'silent' }),
})

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseSinksConfig(raw, 'test', deps(env))
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`)
    throw err
  }
  return []
}

describe('processors > sinks > config', () => {
  it('builds every sink with defaults: group pulsewire-sink-<name>, dead letters under .pulsewire/sinks', () => {
    const config = parseSinksConfig(
      { sinks: [{ type: 'console' }, { type: 'jsonl', name: 'archive', file: '/tmp/a.jsonl' }] },
      'test',
      deps(),
    )
    expect(config.channel).toBe('alerts.events.v1')
    expect(config.fromBeginning).toBe(false)
    expect(config.sinks.map((s) => [s.name, s.groupId])).toEqual([
      ['console', 'pulsewire-sink-console'],
      ['archive', 'pulsewire-sink-archive'],
    ])
    expect(config.sinks[1]?.deadLetterFile).toMatch(/\.pulsewire\/sinks\/archive\.dead-letters\.jsonl$/)
    expect(config.sinks[0]?.delivery).toEqual({
      attempts: 5,
      timeoutMs: 10_000,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
    })
  })

  it('lists every problem at once, with its path; unknown keys are errors', () => {
    const found = problems({
      chanel: 'typo',
      http: { port: 'x' },
      sinks: [
        { type: 'webhook', url: 'ftp://example.org/hook', secretEnv: 'HOOK_SECRET', retries: 3 },
        { type: 'pager' },
        { type: 'jsonl' },
        { type: 'console', delivery: { attempts: 0, initialDelayMs: 5_000, maxDelayMs: 1_000 } },
        { type: 'console' },
        { type: 'console' },
        { type: 'mqtt', secret: 's', secretEnv: 'X' },
      ],
    })
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^chanel: unknown key/),
        expect.stringMatching(/^http\.port: /),
        expect.stringMatching(/^sinks\.0\.url: expected an http/),
        expect.stringMatching(/^sinks\.0\.retries: unknown key/),
        expect.stringMatching(
          /^sinks\.1\.type: unknown sink type "pager" \(known: console, webhook, mqtt, jsonl\)/,
        ),
        expect.stringMatching(/^sinks\.2\.file: /),
        expect.stringMatching(/^sinks\.3\.delivery\.attempts: /),
        expect.stringMatching(/^sinks\.3\.delivery\.initialDelayMs: initialDelayMs must not exceed/),
        expect.stringMatching(/^sinks\.5\.name: "console" is used twice/),
        expect.stringMatching(/^sinks\.6\.secretEnv: give the gateway secret as exactly one/),
      ]),
    )
  })

  it('says which environment variable holding a secret is missing', () => {
    const raw = { sinks: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook', secretEnv: 'HOOK_SECRET' }] }
    expect(problems(raw)).toEqual([
      'sinks.0.secretEnv: environment variable HOOK_SECRET is not set (the HMAC secret)',
    ])
    expect(problems(raw, { HOOK_SECRET: 'x'.repeat(32) })).toEqual([])
  })

  it('lets the group wait for a batch that fails every attempt before evicting the member', () => {
    const [sink] = parseSinksConfig({ sinks: [{ type: 'console' }] }, 'test', deps()).sinks
    // 20 transitions × (5 attempts × 10 s + 4 backoffs × 30 s) + 1 min
    expect(maxPollIntervalMs(sink!)).toBe(20 * 170_000 + 60_000)
    expect(
      maxPollIntervalMs({ batchSize: 1, delivery: { ...sink!.delivery, attempts: 1, timeoutMs: 1_000 } }),
    ).toBe(300_000)
  })

  it('wants at least one sink', () => {
    expect(problems({ sinks: [] })).toEqual(['sinks: configure at least one sink'])
  })

  it('accepts deploy/sinks/example.yaml', () => {
    const raw: unknown = parse(readFileSync(join(repoRoot, 'deploy/sinks/example.yaml'), 'utf8'))
    const env = { HOOK_SECRET: 'y'.repeat(32), PULSEWIRE_MQTT_SECRET: 'z' }
    const config = parseSinksConfig(raw, 'example', deps(env))
    // Every type at least once (two webhooks: a pager and the charge nurse's escalations).
    expect([...new Set(config.sinks.map((s) => s.type))].sort()).toEqual(SINK_TYPES.map((s) => s.type).sort())
    // It shows routing and the self-watch too.
    expect(config.sinks.some((s) => s.filter?.transitions?.includes('escalated'))).toBe(true)
    expect((raw as Record<string, unknown>).selfWatch).toBeDefined()
  })

  for (const sink of SINK_TYPES) {
    it(`${sink.type}: a kebab-case type with a README and a strict, described config`, () => {
      expect(sink.type).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
      const folder = join(repoRoot, 'processors/sinks', sink.type)
      for (const file of [`${sink.type}.ts`, 'README.md'])
        expect(existsSync(join(folder, file)), file).toBe(true)
      const schema = sink.configSchema as z.ZodObject
      expect(schema.def.catchall).toBeInstanceOf(z.ZodNever)
      const undescribed = Object.entries(schema.shape).filter(([, f]) => !(f as z.ZodType).description)
      expect(undescribed.map(([key]) => key)).toEqual([])
    })
  }
})
