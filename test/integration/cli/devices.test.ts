import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDeviceStore } from '../../../gateway/device-store/device-store.js'
import { loadDeviceStoreFile } from '../../../gateway/device-store/device-store-file.js'
import { runCli } from '../../helpers/cli.js'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pulsewire-devices-'))
}

/** Runs `pulsewire devices …` against one device store file (`--registry`, the flag's name). */
function devices(registry: string, ...args: string[]): ReturnType<typeof runCli> {
  return runCli(['devices', ...args, '--registry', registry])
}

function authenticateAll(storeFile: string, credentials: Record<string, string>): string[] {
  const store = createDeviceStore({ data: loadDeviceStoreFile(storeFile) })
  return Object.entries(credentials).map(([id, secret]) => store.authenticate(id, Buffer.from(secret)))
}

describe('integration > cli > devices', () => {
  it('adds, lists, revokes; the list shows the revocation and never a secret or hash', () => {
    const registry = join(tempDir(), 'devices.yaml')
    const added = devices(registry, 'add', 'bm-0001', '--type', 'bedside-monitor', '--site', 'ward-3')
    expect(added.status, added.stderr).toBe(0)
    const secret = added.stdout.trim()
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(added.stderr).toContain('shown only this once')
    expect(statSync(registry).mode & 0o777).toBe(0o600)
    expect(readFileSync(registry, 'utf8')).not.toContain(secret)

    const json = devices(registry, 'add', 'wr-0002', '--type', 'wearable', '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({ deviceId: 'wr-0002', outcome: 'added' })

    const twice = devices(registry, 'add', 'bm-0001')
    expect(twice.status).toBe(1)
    expect(twice.stderr).toContain('already registered')

    const before = devices(registry, 'list')
    expect(before.status).toBe(0)
    expect(before.stdout).toMatch(/^DEVICE\s+TYPE\s+SITE\s+STATUS\s+CREATED$/m)
    expect(before.stdout).toMatch(/^bm-0001\s+bedside-monitor\s+ward-3\s+active\s+\d{4}-/m)
    expect(before.stdout).toContain('2 devices: 2 active, 0 revoked')

    const revoked = devices(registry, 'revoke', 'bm-0001')
    expect(revoked.status).toBe(0)
    expect(revoked.stdout).toContain('revoked bm-0001')

    const after = devices(registry, 'list')
    expect(after.stdout).toMatch(/^bm-0001\s+bedside-monitor\s+ward-3\s+revoked\s+/m)
    expect(after.stdout).toContain('2 devices: 1 active, 1 revoked')
    const rows = JSON.parse(devices(registry, 'list', '--json').stdout) as Array<Record<string, string>>
    expect(rows.map((r) => [r.deviceId, r.status])).toEqual([
      ['bm-0001', 'revoked'],
      ['wr-0002', 'active'],
    ])
    for (const output of [before.stdout, after.stdout, JSON.stringify(rows)]) {
      expect(output).not.toContain(secret)
      expect(output).not.toContain('sha256$')
    }
    expect(authenticateAll(registry, { 'bm-0001': secret })).toEqual(['revoked'])

    expect(devices(registry, 'revoke', 'bm-0404').status).toBe(1)
  })

  it('provisions --count devices with credentials (0600) that verify against the registry', () => {
    const dir = tempDir()
    const registry = join(dir, 'devices.yaml')
    const out = join(dir, 'credentials.json')
    const result = devices(
      registry,
      'provision',
      '--count',
      '3',
      '--prefix',
      't-',
      '--type',
      'wearable',
      '--out',
      out,
    )
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(1)
    expect(result.stdout).toContain('provisioned 3 devices (3 new, 0 rotated, 0 re-enrolled)')
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const credentials = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
    expect(Object.keys(credentials)).toEqual(['t-0001', 't-0002', 't-0003'])
    expect(authenticateAll(registry, credentials)).toEqual(['ok', 'ok', 'ok'])

    const again = devices(registry, 'provision', '--count', '3', '--prefix', 't-', '--out', out)
    expect(again.stdout).toContain('(0 new, 3 rotated, 0 re-enrolled)')
    expect(authenticateAll(registry, credentials)).toEqual(['bad-secret', 'bad-secret', 'bad-secret'])
  })

  it('provisions every device id of a simulator fleet file, typed by its profile', () => {
    const dir = tempDir()
    const fleet = join(dir, 'fleet.yaml')
    writeFileSync(fleet, 'groups:\n  - profile: wearable\n    count: 2\n    idPrefix: it-wr-\n')
    const registry = join(dir, 'devices.yaml')
    const out = join(dir, 'credentials.json')
    const result = devices(registry, 'provision', '--fleet', fleet, '--out', out)
    expect(result.status, result.stderr).toBe(0)
    const credentials = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
    expect(Object.keys(credentials)).toEqual(['it-wr-0001', 'it-wr-0002'])
    expect(authenticateAll(registry, credentials)).toEqual(['ok', 'ok'])
    expect(devices(registry, 'list').stdout).toMatch(/^it-wr-0001\s+wearable\s+/m)
  })

  it('exits 78 on a bad registry file, listing each problem with its path', () => {
    const registry = join(tempDir(), 'devices.yaml')
    writeFileSync(registry, 'version: 1\ndevices:\n  bad id:\n    secretHash: x\n  bm-1:\n    colour: red\n')
    const result = devices(registry, 'list')
    expect(result.status).toBe(78)
    expect(result.stderr).toContain('error [GW_REGISTRY_INVALID] invalid configuration')
    for (const path of ['devices.bad id', 'devices.bm-1.colour', 'devices.bm-1.secretHash']) {
      expect(result.stderr).toContain(`  - ${path}: `)
    }
    expect(result.stdout).toBe('')
    expect(devices(registry, 'add', 'bm-2').status).toBe(78)
  })

  it('needs either --fleet or --count to provision', () => {
    const dir = tempDir()
    const result = devices(join(dir, 'devices.yaml'), 'provision', '--out', join(dir, 'c.json'))
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('either --fleet <file> or --count <n>')
  })

  it('has --help on every devices command', () => {
    for (const args of [
      ['devices', '--help'],
      ['devices', 'add', '--help'],
      ['devices', 'list', '--help'],
      ['devices', 'revoke', '--help'],
      ['devices', 'provision', '--help'],
    ]) {
      const result = runCli(args)
      expect(result.status, args.join(' ')).toBe(0)
      expect(result.stdout).toContain('Usage: pulsewire devices')
    }
    expect(runCli(['devices', 'add', '--help']).stdout).toContain('--registry <file>')
  })
})
