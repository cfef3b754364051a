import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { repoRoot, runCli } from '../../helpers/cli.js'

// The built command as `npm run docs:check` runs it: no services needed.
describe('integration > cli > catalog', () => {
  it('prints the AsyncAPI document on stdout, and --out writes the same text', () => {
    const printed = runCli(['catalog'])
    expect(printed.status).toBe(0)
    expect((parse(printed.stdout) as { asyncapi: string }).asyncapi).toBe('3.0.0')
    const out = join(mkdtempSync(join(tmpdir(), 'pulsewire-catalog-')), 'catalog.yaml')
    expect(runCli(['catalog', '--out', out]).status).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(printed.stdout)
    expect(readFileSync(join(repoRoot, 'docs/catalog.asyncapi.yaml'), 'utf8')).toBe(printed.stdout)
  })

  it('--check passes on the checked-in docs', () => {
    const result = runCli(['catalog', '--check'])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('match the code')
  })
})
