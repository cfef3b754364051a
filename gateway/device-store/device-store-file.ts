import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { deepFreeze, readConfigFile, zodIssuesToConfigIssues } from '../../core/config/load.js'
import { ConfigError, type ConfigIssue } from '../../core/errors.js'
import { KNOWN_DEVICE_TYPES } from '../../core/telemetry/device-types.js'
import { DEVICE_ID_PATTERN } from '../../core/telemetry/mqtt-topics.js'
import { CLIENT_ROLES } from '../auth.js'
import { DEVICE_STORE_ERROR_CODES, DeviceStoreError } from './device-store-error.js'
import { isSupportedSecretHash } from './secrets.js'

/*
 * The device store file (ADR 0005's "device registry"), written by `pulsewire devices` and
 * read (and re-read on change) by the gateway. Only hashes of secrets are stored. Devices are never deleted, only revoked,
 * so a revoked id stays refused. Shown as YAML; saved as indented JSON, which is YAML too:
 * JSON.parse reads 10,000 devices in ~10 ms where the YAML parser takes ~1.2 s, a stall the
 * gateway's event loop would feel on every reload. A hand-written YAML file reads as well.
 *
 *   version: 1
 *   devices:
 *     bm-0001:                                  # device id (DEVICE_ID_PATTERN)
 *       secretHash: sha256$<salt>$<hash>        # see secrets.ts
 *       type: bedside-monitor                   # optional; a device type other than 'unspecified'
 *       site: ward-3                            # optional ward/site label
 *       subjectId: s-7f3a9c                     # optional pseudonymous subject id, never a name
 *       role: alert-viewer                      # optional; absent = device (files before roles read as before)
 *       createdAt: 2025-05-01T09:00:00.000Z
 *       revokedAt: 2025-06-01T09:00:00.000Z     # once revoked: the gateway refuses the device
 */

export const DEVICE_STORE_FILE_VERSION = 1
/** Default location, relative to the repo root (git-ignored runtime state). */
export const DEFAULT_DEVICE_STORE_FILE = '.pulsewire/devices.yaml'

export const defaultDeviceStorePath = (repoRoot: string): string =>
  resolve(repoRoot, DEFAULT_DEVICE_STORE_FILE)

// Labels are tokens, not prose: no spaces, so a person's name cannot slip in as "Jane Doe"
// (architecture §6: nothing that names a person in topics, keys, tags or logs).
const LABEL_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/
const label = (what: string): z.ZodString =>
  z.string().regex(LABEL_PATTERN, `${what} must be a token of 1–64 letters, digits, '.', '_', ':' or '-'`)
const timestamp = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' })

export const deviceIdSchema = z
  .string()
  .regex(DEVICE_ID_PATTERN, "device ids are 1–64 letters, digits, '.', '_' or '-'")

export const deviceContextSchema = z.strictObject({
  type: z.enum(KNOWN_DEVICE_TYPES).optional().describe('Device type, as in the telemetry envelope.'),
  site: label('site').optional().describe('Ward or site label, e.g. ward-3.'),
  subjectId: label('subjectId')
    .optional()
    .describe('Pseudonymous subject id (a random token per encounter); never a name or MRN.'),
  role: z
    .enum(CLIENT_ROLES)
    .optional()
    .describe('What the client may do at the gateway (gateway/auth.ts); absent means device.'),
})

export const deviceEntrySchema = z.strictObject({
  secretHash: z
    .string()
    .refine(isSupportedSecretHash, 'not a supported secret hash (expected sha256$<salt>$<hash>)')
    .describe('Salted hash of the device secret; the secret itself is never stored.'),
  ...deviceContextSchema.shape,
  createdAt: timestamp.describe('When the device was enrolled.'),
  revokedAt: timestamp.optional().describe('When the device was revoked; absent while active.'),
})

export const deviceStoreFileSchema = z.strictObject({
  version: z.literal(DEVICE_STORE_FILE_VERSION).describe('Format version of this file.'),
  devices: z.record(deviceIdSchema, deviceEntrySchema).default({}).describe('Devices by device id.'),
})

export type DeviceEntry = z.output<typeof deviceEntrySchema>
export type DeviceContext = z.output<typeof deviceContextSchema>
export type DeviceStoreData = z.output<typeof deviceStoreFileSchema>

/** Where a device store's entries come from: what `DeviceStore.reload()` polls. */
export interface DeviceStoreSource {
  /** Changes whenever the content may have changed; undefined when there is nothing to read. */
  version(): string | undefined
  /** The validated entries; throws ConfigError on a missing, unparsable or invalid file. */
  read(): DeviceStoreData
}

export const emptyDeviceStore = (): DeviceStoreData => ({ version: DEVICE_STORE_FILE_VERSION, devices: {} })

/** Validates device-store content, reporting every problem with its path (`devices.bm-0001.type`). */
export function parseDeviceStore(raw: unknown, source: string): DeviceStoreData {
  const result = deviceStoreFileSchema.safeParse(raw)
  if (!result.success) {
    throw new ConfigError(
      source,
      toConfigIssues(result.error.issues),
      DEVICE_STORE_ERROR_CODES['invalid-file'],
    )
  }
  return deepFreeze(result.data)
}

function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue) =>
    issue.code === 'invalid_key'
      ? [{ path: issue.path.map(String).join('.'), message: issue.issues[0]?.message ?? issue.message }]
      : zodIssuesToConfigIssues([issue]),
  )
}

export interface LoadDeviceStoreOptions {
  /** A missing file is an empty store (first use), not an error. */
  allowMissing?: boolean
}

export function loadDeviceStoreFile(file: string, options: LoadDeviceStoreOptions = {}): DeviceStoreData {
  if (options.allowMissing && !existsSync(file)) return deepFreeze(emptyDeviceStore())
  return parseDeviceStore(readDeviceStoreRaw(file), file)
}

function readDeviceStoreRaw(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch {
    // Not JSON (hand-written YAML) or unreadable: the shared reader parses YAML and words the errors.
    return readConfigFile(file)
  }
}

/** Writes the device store atomically (mode 0600): the gateway never sees a half-written file. */
export function saveDeviceStoreFile(file: string, data: DeviceStoreData): void {
  writeFileAtomic(file, `${JSON.stringify(toFileShape(data), null, 2)}\n`)
}

function toFileShape(data: DeviceStoreData): DeviceStoreData {
  const devices = Object.keys(data.devices)
    .sort()
    .map((id) => [id, withoutUndefined(data.devices[id] as DeviceEntry)] as const)
  return { version: data.version, devices: Object.fromEntries(devices) }
}

function withoutUndefined(entry: DeviceEntry): DeviceEntry {
  return Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as DeviceEntry
}

/**
 * Temp file in the same directory, fsync, then rename: readers see the old or the new file,
 * never a mix. The temp file is created 0600, so a secret-bearing file is never world-readable.
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  let created = false
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    const fd = openSync(tmp, 'wx', mode)
    created = true
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (err) {
    if (created) rmSync(tmp, { force: true })
    const message = err instanceof Error ? err.message : String(err)
    throw new DeviceStoreError('write-failed', `cannot write ${file}: ${message}`, {
      cause: err,
      context: { file },
    })
  }
}

/**
 * Inode, size and mtime: an atomic save always makes a new inode, so two saves within one
 * mtime tick are still told apart.
 */
export function fileVersion(file: string): string | undefined {
  const stat = statSync(file, { throwIfNoEntry: false })
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : undefined
}

export function createFileDeviceStoreSource(file: string): DeviceStoreSource {
  return { version: () => fileVersion(file), read: () => loadDeviceStoreFile(file) }
}
