import type { Clock } from '../../core/clock.js'
import { z } from 'zod'
import {
  DEVICE_STORE_FILE_VERSION,
  deviceContextSchema,
  deviceIdSchema,
  type DeviceContext,
  type DeviceEntry,
  type DeviceStoreData,
  type DeviceStoreSource,
} from './device-store-file.js'
import { DeviceStoreError } from './device-store-error.js'
import { generateSecret, hashSecret, verifySecret } from './secrets.js'

/** The CONNECT decision for one device; the gateway maps it to a CONNACK return code. */
export type AuthOutcome = 'ok' | 'unknown' | 'revoked' | 'bad-secret'
export type DeviceStatus = 'active' | 'revoked'

/** One device as `list()` shows it: never its secret or hash. */
export interface DeviceSummary extends DeviceContext {
  deviceId: string
  status: DeviceStatus
  createdAt: string
  revokedAt?: string
}

export interface AddDeviceOptions extends DeviceContext {
  /** Issue a new secret for a device that is already active instead of failing. */
  rotate?: boolean
}

export interface AddResult {
  /** The new secret in clear: returned once, never stored. */
  secret: string
  outcome: 'added' | 'rotated' | 're-enrolled'
}

export interface RevokeResult {
  revokedAt: string
  alreadyRevoked: boolean
}

export interface DeviceStore {
  /** Constant-time check of a CONNECT password; never throws. */
  authenticate(deviceId: string, password: Buffer | undefined): AuthOutcome
  /** Context of an active device; undefined for an unknown or revoked one. */
  lookup(deviceId: string): DeviceContext | undefined
  /** Enrols a device (or re-enrols a revoked one) and returns its new secret. */
  add(deviceId: string, options?: AddDeviceOptions): AddResult
  /** Revokes a device; revoking it again is a no-op that reports the first revocation. */
  revoke(deviceId: string): RevokeResult
  /** Every device, active and revoked, by id. */
  list(): DeviceSummary[]
  /** The current entries, in file shape, for `saveDeviceStoreFile`. */
  toData(): DeviceStoreData
  /**
   * Re-reads the source when its version changed; 'unchanged' otherwise. On a bad source it
   * throws and keeps the previous view; a version that failed is not retried until it changes.
   * Replaces any unsaved `add`/`revoke` made in memory.
   */
  reload(): 'reloaded' | 'unchanged'
  /**
   * Opaque value that changes when the device's secret is rotated (or it is re-enrolled);
   * undefined for an unknown or revoked device. The gateway compares it to the value at CONNECT.
   */
  secretStamp(deviceId: string): string | undefined
  /** Calls `listener` after the entries changed (a reload, add or revoke); returns the unsubscribe. */
  onChange(listener: () => void): () => void
}

export interface DeviceStoreDeps {
  /** Initial entries (e.g. from `loadDeviceStoreFile`); empty by default. */
  data?: DeviceStoreData
  /** What `reload()` reads; without one, `reload()` is always 'unchanged'. */
  source?: DeviceStoreSource
  clock?: Pick<Clock, 'now'>
  newSecret?: () => string
}

const addInputSchema = z.strictObject({ deviceId: deviceIdSchema, ...deviceContextSchema.shape })

/** An in-memory device store; no I/O of its own except through `source` on `reload()`. */
export function createDeviceStore(deps: DeviceStoreDeps = {}): DeviceStore {
  const clock = deps.clock ?? { now: () => Date.now() }
  const newSecret = deps.newSecret ?? generateSecret
  // Unknown ids still pay for one hash, so response time does not say which ids exist.
  const decoyHash = hashSecret(generateSecret())
  let entries = toMap(deps.data)
  let seenVersion: string | undefined
  let everRead = false
  const listeners = new Set<() => void>()
  const changed = (): void => {
    for (const listener of listeners) listener()
  }
  const nowIso = (): string => new Date(clock.now()).toISOString()

  return {
    authenticate(deviceId, password) {
      const entry = entries.get(deviceId)
      if (!entry) {
        verifySecret(decoyHash, password)
        return 'unknown'
      }
      if (entry.revokedAt !== undefined) return 'revoked'
      return verifySecret(entry.secretHash, password) ? 'ok' : 'bad-secret'
    },

    lookup(deviceId) {
      const entry = entries.get(deviceId)
      return entry && entry.revokedAt === undefined ? contextOf(entry) : undefined
    },

    add(deviceId, options = {}) {
      const { rotate, ...context } = options
      const input = addInputSchema.safeParse({ deviceId, ...context })
      if (!input.success) {
        const problems = input.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`)
        throw new DeviceStoreError('invalid-entry', `cannot add ${deviceId}: ${problems.join('; ')}`)
      }
      const existing = entries.get(deviceId)
      const active = existing?.revokedAt === undefined ? existing : undefined
      if (active && !rotate) {
        throw new DeviceStoreError(
          'device-exists',
          `device ${deviceId} is already registered: revoke it first, or rotate its secret (--rotate)`,
          { context: { deviceId } },
        )
      }
      const secret = newSecret()
      // 'device' is the default and is not written, so files stay readable by older gateways.
      const given = stripUndefined({ ...context, role: context.role === 'device' ? undefined : context.role })
      const kept = active && context.role === 'device' ? { ...active, role: undefined } : active
      // A rotation keeps the device's assignment; a re-enrolment starts clean, so a revoked
      // device's old subjectId is never carried over to whoever it is attached to next.
      const entry: DeviceEntry = kept
        ? stripUndefined({ ...kept, ...given, secretHash: hashSecret(secret) })
        : { secretHash: hashSecret(secret), ...given, createdAt: nowIso() }
      entries.set(deviceId, Object.freeze(entry))
      changed()
      return { secret, outcome: active ? 'rotated' : existing ? 're-enrolled' : 'added' }
    },

    revoke(deviceId) {
      const existing = entries.get(deviceId)
      if (!existing) {
        throw new DeviceStoreError('unknown-device', `device ${deviceId} is not registered`, {
          context: { deviceId },
        })
      }
      if (existing.revokedAt !== undefined) return { revokedAt: existing.revokedAt, alreadyRevoked: true }
      const revokedAt = nowIso()
      entries.set(deviceId, Object.freeze({ ...existing, revokedAt }))
      changed()
      return { revokedAt, alreadyRevoked: false }
    },

    list() {
      return sortedIds(entries).map((deviceId) => summarize(deviceId, entries.get(deviceId) as DeviceEntry))
    },

    toData() {
      const devices = sortedIds(entries).map((id) => [id, entries.get(id) as DeviceEntry] as const)
      return { version: DEVICE_STORE_FILE_VERSION, devices: Object.fromEntries(devices) }
    },

    reload() {
      if (!deps.source) return 'unchanged'
      const version = deps.source.version()
      if (everRead && version === seenVersion) return 'unchanged'
      seenVersion = version
      everRead = true
      entries = toMap(deps.source.read())
      changed()
      return 'reloaded'
    },

    secretStamp(deviceId) {
      const entry = entries.get(deviceId)
      return entry && entry.revokedAt === undefined ? `${entry.createdAt}|${entry.secretHash}` : undefined
    },

    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

function toMap(data: DeviceStoreData | undefined): Map<string, DeviceEntry> {
  return new Map(Object.entries(data?.devices ?? {}))
}

const sortedIds = (entries: Map<string, DeviceEntry>): string[] => [...entries.keys()].sort()

function contextOf(entry: DeviceEntry): DeviceContext {
  return stripUndefined({ type: entry.type, site: entry.site, subjectId: entry.subjectId, role: entry.role })
}

function summarize(deviceId: string, entry: DeviceEntry): DeviceSummary {
  return stripUndefined({
    deviceId,
    ...contextOf(entry),
    status: entry.revokedAt === undefined ? 'active' : 'revoked',
    createdAt: entry.createdAt,
    revokedAt: entry.revokedAt,
  })
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
