import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configRows, renderConfigReference } from '../../../../cli/catalog/config-reference.js'
import { checkGenerated, generatedDocs, writeGenerated } from '../../../../cli/catalog/docs.js'
import { errorRows } from '../../../../cli/catalog/errors-reference.js'
import { metricRows, renderMetricsReference } from '../../../../cli/catalog/metrics-reference.js'
import { processFacts } from '../../../../cli/catalog/processes.js'
import { packageVersion } from '../../../../cli/context.js'
import { applyEnvOverrides } from '../../../../core/config/load.js'
import { CONFIG_ERROR_CODES, ConfigError, ERROR_CODES, PipelineError } from '../../../../core/errors.js'
import { exitCodeFor } from '../../../../core/report-error.js'
import { gatewayConfigSchema } from '../../../../gateway/config.js'
import { storageConfigSchema } from '../../../../processors/storage/config.js'
import { repoRoot } from '../../../helpers/cli.js'

describe('cli > catalog > configuration reference', () => {
  const gateway = configRows(gatewayConfigSchema, [], true)
  const row = (path: string) => gateway.find((r) => r.path === path)

  it('lists each key with the default the schema applies', () => {
    const defaults = gatewayConfigSchema.parse({})
    expect(row('http.port')?.default).toBe(String(defaults.http.port))
    expect(row('kafka.brokers')?.default).toBe(JSON.stringify(defaults.kafka.brokers))
    expect(row('mqtt.tls.certFile')?.required).toBe(true)
    expect(row('mqtt.tls.certFile')?.default).toBeUndefined()
    expect(row('producer.maxInFlight')?.description).toMatch(/stops reading sockets/)
  })

  it('names environment variables that really set the key', () => {
    const withEnv = configRows(storageConfigSchema, [], true).filter((r) => r.env)
    expect(withEnv.length).toBeGreaterThan(10)
    for (const r of withEnv) {
      const applied = applyEnvOverrides({}, { [r.env ?? '']: 'x' })
      expect(r.path.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], applied)).toBe(
        'x',
      )
    }
  })

  it('covers every process, the sinks, the local stack and the fleet file', () => {
    const text = renderConfigReference()
    for (const p of processFacts()) expect(text).toContain(`## ${p.name} `)
    expect(text).toContain('| `sinks[].delivery.attempts` |')
    expect(text).toContain('| `kafkaBroker.port` |')
    expect(text).toContain('| `groups[].profile` |')
  })
})

describe('cli > catalog > metrics reference', () => {
  it('lists each process’s metrics as its factory registers them, with labels', async () => {
    const storage = processFacts().find((p) => p.name === 'storage')
    const rows = await metricRows(storage?.registerMetrics ?? (() => undefined))
    expect(rows.find((r) => r.name === 'pulsewire_storage_write_duration_seconds')).toMatchObject({
      type: 'histogram',
      labels: ['outcome'],
    })
    const text = await renderMetricsReference()
    for (const p of processFacts()) expect(text).toContain(p.metricsEndpoint)
    expect(text).toContain('`pulsewire_process_cpu_seconds_total`')
  })
})

describe('cli > catalog > error reference', () => {
  it('has every code once, with the exit code the process really uses', () => {
    const rows = errorRows()
    expect(rows.map((r) => r.code).sort()).toEqual([...ERROR_CODES].sort())
    for (const r of rows) {
      const err = (CONFIG_ERROR_CODES as readonly string[]).includes(r.code)
        ? new ConfigError('test', [], r.code as (typeof CONFIG_ERROR_CODES)[number])
        : new PipelineError(r.code, 'test')
      expect(exitCodeFor(err), r.code).toBe(r.exitCode)
      expect(r.meaning.length, r.code).toBeGreaterThan(10)
    }
  })
})

describe('cli > catalog > checked-in docs', () => {
  it('match what the code generates (npm run docs:gen regenerates them)', async () => {
    const docs = await generatedDocs({ repoRoot, version: packageVersion() })
    expect(checkGenerated(repoRoot, docs)).toEqual([])
  })

  it('names a file edited by hand, or missing, as out of date', async () => {
    const docs = await generatedDocs({ repoRoot, version: packageVersion() })
    const root = mkdtempSync(join(tmpdir(), 'pulsewire-docs-'))
    expect(checkGenerated(root, docs)).toEqual(docs.map((d) => d.path))
    writeGenerated(root, docs)
    expect(checkGenerated(root, docs)).toEqual([])
    writeFileSync(
      join(root, 'docs/errors.md'),
      `${docs.find((d) => d.path === 'docs/errors.md')?.text ?? ''}\nedited by hand\n`,
    )
    expect(checkGenerated(root, docs)).toEqual(['docs/errors.md'])
  })
})
