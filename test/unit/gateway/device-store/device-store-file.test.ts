import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../core/errors.js'
import { createDeviceStore } from '../../../../gateway/device-store/device-store.js'
import { DeviceStoreError } from '../../../../gateway/device-store/device-store-error.js'
import {
  createFileDeviceStoreSource,
  defaultDeviceStorePath,
  loadDeviceStoreFile,
  saveDeviceStoreFile,
  writeFileAtomic,
} from '../../../../gateway/device-store/device-store-file.js'
import { hashSecret } from '../../../../gateway/device-store/secrets.js'

const HASH = hashSecret('s3cret', Buffer.from('salt'))

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pulsewire-device-store-'))
}

function storeText(text: string): string {
  const file = join(tempDir(), 'devices.yaml')
  writeFileSync(file, text)
  return file
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

const device = (fields: string): string =>
  `    secretHash: ${HASH}\n    createdAt: 2025-05-01T09:00:00.000Z\n${fields}`

describe('gateway > device store > store file', () => {
  it('round-trips (saved as JSON, which is YAML), sorted by id, 0600, no temp file left', () => {
    const dir = tempDir()
    const file = join(dir, 'nested', 'devices.yaml')
    const store = createDeviceStore()
    store.add('wr-0002', { type: 'wearable', subjectId: 's-7f3a' })
    store.add('bm-0001', { type: 'bedside-monitor', site: 'ward-3' })
    store.revoke('wr-0002')
    saveDeviceStoreFile(file, store.toData())

    expect(loadDeviceStoreFile(file)).toEqual(store.toData())
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(join(dir, 'nested'))).toEqual(['devices.yaml'])
    const text = readFileSync(file, 'utf8')
    expect(Object.keys((JSON.parse(text) as { devices: object }).devices)).toEqual(['bm-0001', 'wr-0002'])
    expect(text).not.toContain('undefined')
  })

  it('reads a hand-written YAML file too', () => {
    const file = storeText(
      `# ward 3\nversion: 1\ndevices:\n  bm-1:\n${device('    site: ward-3\n    type: bedside-monitor\n')}`,
    )
    expect(loadDeviceStoreFile(file).devices['bm-1']).toEqual({
      secretHash: HASH,
      createdAt: '2025-05-01T09:00:00.000Z',
      site: 'ward-3',
      type: 'bedside-monitor',
    })
  })

  it('treats a missing file as empty only when asked to', () => {
    const file = join(tempDir(), 'none.yaml')
    expect(loadDeviceStoreFile(file, { allowMissing: true })).toEqual({ version: 1, devices: {} })
    expect(configError(() => loadDeviceStoreFile(file)).code).toBe('CFG_FILE_UNREADABLE')
  })

  it('reports every problem with its path: unknown keys, bad ids, bad types, bad values', () => {
    const file = storeText(
      [
        'version: 2',
        'owner: ops',
        'devices:',
        '  bm-0001:',
        device('    colour: red\n    type: unspecified\n'),
        '  bad id:',
        device(''),
        '  wr-0001:',
        '    secretHash: hunter2',
        '    createdAt: yesterday',
        '    site: ward 3',
        '',
      ].join('\n'),
    )
    const err = configError(() => loadDeviceStoreFile(file))
    expect(err.code).toBe('GW_REGISTRY_INVALID')
    expect(err.source).toBe(file)
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.message]))
    expect(Object.keys(byPath).sort()).toEqual([
      'devices.bad id',
      'devices.bm-0001.colour',
      'devices.bm-0001.type',
      'devices.wr-0001.createdAt',
      'devices.wr-0001.secretHash',
      'devices.wr-0001.site',
      'owner',
      'version',
    ])
    expect(byPath['devices.bad id']).toContain('device ids are')
    expect(byPath['devices.bm-0001.colour']).toContain('unknown key')
    expect(byPath['devices.wr-0001.secretHash']).toContain('sha256$<salt>$<hash>')
    expect(err.message).toContain('8 problems')
  })

  it('rejects a file that is not a mapping, or is empty', () => {
    expect(configError(() => loadDeviceStoreFile(storeText('- a\n- b\n'))).code).toBe('CFG_INVALID')
    expect(configError(() => loadDeviceStoreFile(storeText(''))).issues[0]?.path).toBe('version')
    expect(configError(() => loadDeviceStoreFile(storeText('version: [1\n'))).code).toBe(
      'CFG_FILE_UNPARSABLE',
    )
  })

  it('fails with write-failed when the directory cannot be created', () => {
    const blocker = storeText('not a directory')
    expect(() => writeFileAtomic(join(blocker, 'devices.yaml'), 'x')).toThrow(DeviceStoreError)
  })

  it('defaults to .pulsewire/devices.yaml under the repo root', () => {
    expect(defaultDeviceStorePath('/repo')).toBe('/repo/.pulsewire/devices.yaml')
  })

  it('lets a polling reader pick up a revocation saved by another process', () => {
    const file = join(tempDir(), 'devices.yaml')
    const cli = createDeviceStore()
    const { secret } = cli.add('bm-0001')
    saveDeviceStoreFile(file, cli.toData())

    const gateway = createDeviceStore({ source: createFileDeviceStoreSource(file) })
    expect(gateway.reload()).toBe('reloaded')
    expect(gateway.authenticate('bm-0001', Buffer.from(secret))).toBe('ok')
    expect(gateway.reload()).toBe('unchanged')

    const again = createDeviceStore({ data: loadDeviceStoreFile(file) })
    again.revoke('bm-0001')
    saveDeviceStoreFile(file, again.toData())
    expect(gateway.reload()).toBe('reloaded')
    expect(gateway.authenticate('bm-0001', Buffer.from(secret))).toBe('revoked')
  })
})
