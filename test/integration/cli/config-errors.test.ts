import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli.js'

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pulsewire-cli-')), 'bad.yaml')
  writeFileSync(path, text)
  return path
}

describe('integration > cli > bad configuration', () => {
  it('lists every problem with its path on one screen and exits with 78', () => {
    const path = configFile(
      'kafkaBroker:\n  port: 80\n  heapMB: 512\ninfluxdbServer:\n  database: ""\nstateDirectory: /tmp/x\n',
    )
    const result = runCli(['stack', 'status', '--config', path])
    expect(result.status).toBe(78)
    expect(result.stderr).toContain('error [CFG_INVALID] invalid configuration')
    expect(result.stderr).toContain('4 problems')
    for (const path of [
      'kafkaBroker.port',
      'kafkaBroker.heapMB',
      'influxdbServer.database',
      'stateDirectory',
    ]) {
      expect(result.stderr).toContain(`  - ${path}: `)
    }
    expect(result.stderr.split('\n').length).toBeLessThan(25)
    expect(result.stdout).toBe('')
  })

  it('treats an environment override with a wrong type the same way', () => {
    const result = runCli(['stack', 'status'], { PULSEWIRE__KAFKA_BROKER__PORT: 'not-a-port' })
    expect(result.status).toBe(78)
    expect(result.stderr).toContain('kafkaBroker.port')
  })

  it('says when the config file cannot be read or parsed', () => {
    expect(runCli(['stack', 'status', '-c', '/nonexistent.yaml']).stderr).toContain('CFG_FILE_UNREADABLE')
    const unparsable = runCli(['stack', 'status', '-c', configFile('kafkaBroker: {port: ')])
    expect(unparsable.status).toBe(78)
    expect(unparsable.stderr).toContain('CFG_FILE_UNPARSABLE')
  })

  it('has --help on every command', () => {
    for (const args of [
      ['--help'],
      ['stack', '--help'],
      ['stack', 'up', '--help'],
      ['stack', 'down', '--help'],
      ['stack', 'status', '--help'],
      ['up', '--help'],
    ]) {
      const result = runCli(args)
      expect(result.status, args.join(' ')).toBe(0)
      expect(result.stdout).toContain('Usage: pulsewire')
    }
  })
})
