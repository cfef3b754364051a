import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { applyEnvOverrides, loadConfig } from '../../../../core/config/load.js'
import { httpSchema, influxSchema, kafkaSchema, logSchema } from '../../../../core/config/shared.js'
import { ConfigError } from '../../../../core/errors.js'

const schema = z.strictObject({
  kafka: kafkaSchema.prefault({}),
  influx: influxSchema.prefault({}),
  log: logSchema.prefault({}),
  http: httpSchema(9100).prefault({}),
  maxInFlight: z.number().int().positive().default(100),
})

function file(contents: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsewire-config-'))
  const path = join(dir, 'config.yaml')
  writeFileSync(path, contents)
  return path
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('core > config > loadConfig', () => {
  it('gives defaults that point at the local stack when nothing is configured', () => {
    const config = loadConfig({ schema, env: {} })
    expect(config.kafka.brokers).toBe('127.0.0.1:19092')
    expect(config.influx.url).toBe('http://127.0.0.1:18086')
    expect(config.influx.bucket).toBe('telemetry/autogen')
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9100 })
  })

  it('layers file, then environment, over the defaults', () => {
    const path = file('kafka:\n  brokers: file:9092\nmaxInFlight: 5\nlog:\n  level: debug\n')
    const config = loadConfig({
      schema,
      file: path,
      env: {
        PULSEWIRE__KAFKA__BROKERS: 'env:9092',
        PULSEWIRE__HTTP__PORT: '9200',
        PULSEWIRE__MAX_IN_FLIGHT: '7',
      },
    })
    expect(config.kafka.brokers).toBe('env:9092')
    expect(config.http.port).toBe(9200)
    expect(config.maxInFlight).toBe(7)
    expect(config.log.level).toBe('debug')
  })

  it('reports every problem at once, each with its path, and unknown keys as errors', () => {
    const path = file(
      'kafka:\n  brokers: ""\n  bootstrapServers: x\ninflux:\n  url: not a url\n  flavor: v3\nhttp:\n  port: 70000\ntypo: 1\n',
    )
    const err = configError(() => loadConfig({ schema, file: path, env: {} }))
    expect(err.code).toBe('CFG_INVALID')
    const paths = err.issues.map((issue) => issue.path).sort()
    expect(paths).toEqual([
      'http.port',
      'influx.flavor',
      'influx.url',
      'kafka.bootstrapServers',
      'kafka.brokers',
      'typo',
    ])
    expect(err.message).toContain('6 problems')
    expect(err.message).toContain('kafka.bootstrapServers: unknown key')
  })

  it('rejects a wrong value type coming from the environment, naming the path', () => {
    const err = configError(() => loadConfig({ schema, env: { PULSEWIRE__HTTP__PORT: 'eighty' } }))
    expect(err.issues).toEqual([{ path: 'http.port', message: expect.stringContaining('number') as string }])
  })

  it('ignores overrides for sections this process does not have (the environment is shared)', () => {
    const small = z.strictObject({ log: logSchema.prefault({}) })
    const config = loadConfig({
      schema: small,
      env: { PULSEWIRE__INFLUX__URL: 'http://x', PULSEWIRE_CACHE: '/tmp' },
    })
    expect(config.log.level).toBe('info')
  })

  it('freezes the result so no component can change another one’s settings', () => {
    const config = loadConfig({ schema, env: {} })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.kafka)).toBe(true)
    expect(() => {
      ;(config.kafka as { brokers: string }).brokers = 'x'
    }).toThrow(TypeError)
  })

  it('explains a missing or unparsable file with its own codes', () => {
    expect(configError(() => loadConfig({ schema, file: '/nonexistent/pulsewire.yaml', env: {} })).code).toBe(
      'CFG_FILE_UNREADABLE',
    )
    expect(configError(() => loadConfig({ schema, file: file('kafka: [unclosed'), env: {} })).code).toBe(
      'CFG_FILE_UNPARSABLE',
    )
    expect(
      configError(() => loadConfig({ schema, file: file('- a\n- b\n'), env: {} })).issues[0]?.message,
    ).toContain('mapping')
  })
})

describe('core > config > applyEnvOverrides', () => {
  it('turns SCREAMING_SNAKE segments into camelCase paths and YAML scalars into values', () => {
    const result = applyEnvOverrides(
      { kafka: { clientId: 'a' } },
      { PULSEWIRE__KAFKA__LIBRDKAFKA: '{linger.ms: 5}', PULSEWIRE__SOME_FLAG: 'true', OTHER: 'x' },
    )
    expect(result).toEqual({ kafka: { clientId: 'a', librdkafka: { 'linger.ms': 5 } }, someFlag: true })
  })
})
