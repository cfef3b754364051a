import { z } from 'zod'
import { DEVICE_TYPES } from '../../../core/telemetry/envelope.js'
import { METRIC_NAMES } from '../../../core/telemetry/metric-registry.js'
import type { RuleDefinition } from '../rules/rule-set.js'
import type { DeviceInfo } from '../rules/rule.js'
import { PRIORITIES } from '../rules/schema-parts.js'
import type { RuleRecord } from './episode.js'

/** Everything the engine knows about one device; serialised as JSON for the compacted state topic. */
export interface DeviceState {
  info: DeviceInfo
  /** Per metric, the newest reading time seen: older readings are late. */
  latestMs: Record<string, number>
  /** Newest message device time seen. */
  lastMessageMs: number | null
  /** By rule id; records of rules no longer in the rule set keep only their episode counter. */
  rules: Record<string, RuleRecord>
}

export const SNAPSHOT_VERSION = 1

/** A snapshot that cannot be read at all (not JSON, or another format version). */
export class SnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SnapshotError'
  }
}

// Lenient objects (unknown keys dropped), so a snapshot written by a newer minor version still loads.
const openSchema = z.object({
  episode: z.number().int().min(1),
  priority: z.enum(PRIORITIES),
  latching: z.boolean(),
  conditionActive: z.boolean(),
  acked: z.boolean(),
  metric: z.enum(METRIC_NAMES).nullable(),
  value: z.number(),
  limit: z.number(),
  // Added with operator commands and escalation; optional, so older snapshots still load.
  unackedSinceMs: z.number().optional(),
  silencedUntilMs: z.number().optional(),
  escalation: z.number().int().min(0).optional(),
  commandIds: z.array(z.string()).max(64).optional(),
})

const recordSchema = z.object({
  type: z.string(),
  episodes: z.number().int().min(0),
  open: openSchema.nullable(),
  state: z.unknown(),
})

const snapshotSchema = z.object({
  v: z.literal(SNAPSHOT_VERSION),
  info: z.object({
    deviceId: z.string(),
    deviceType: z.enum(DEVICE_TYPES),
    subjectId: z.string().optional(),
    site: z.string().optional(),
  }),
  latestMs: z.record(z.string(), z.number()),
  lastMessageMs: z.number().nullable(),
  rules: z.record(z.string(), recordSchema),
})

export function encodeDeviceState(state: DeviceState): Buffer {
  return Buffer.from(JSON.stringify({ v: SNAPSHOT_VERSION, ...state }), 'utf8')
}

/** Parses a snapshot; rule states are checked later against the current rules. Throws SnapshotError. */
export function decodeDeviceState(deviceId: string, bytes: Buffer): DeviceState {
  let raw: unknown
  try {
    raw = JSON.parse(bytes.toString('utf8'))
  } catch (cause) {
    throw new SnapshotError(`alert state of ${deviceId} is not JSON`, { cause })
  }
  const parsed = snapshotSchema.safeParse(raw)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    const where = first ? `${first.path.join('.')}: ${first.message}` : 'invalid'
    throw new SnapshotError(`alert state of ${deviceId} is not a v${SNAPSHOT_VERSION} snapshot (${where})`)
  }
  const { info, latestMs, lastMessageMs, rules } = parsed.data
  return { info: { ...info, deviceId }, latestMs, lastMessageMs, rules }
}

/**
 * A snapshot made fit for the current rule set: a rule state that no longer parses (an older rule
 * version) or of a rule no longer configured keeps only its episode counter, so its alert ids are
 * never reused; an unacknowledged episode from before escalation existed starts its timer now.
 */
export function restoreDeviceState(
  deviceId: string,
  snapshot: Buffer,
  ruleById: ReadonlyMap<string, RuleDefinition>,
  nowMs: number,
): DeviceState {
  const restored = decodeDeviceState(deviceId, snapshot)
  for (const [ruleId, record] of Object.entries(restored.rules)) {
    if (record.open && !record.open.acked && record.open.unackedSinceMs === undefined)
      record.open = { ...record.open, unackedSinceMs: nowMs }
    const rule = ruleById.get(ruleId)
    const fits = rule?.type === record.type && rule.logic.stateSchema.safeParse(record.state).success
    if (rule && fits) continue
    restored.rules[ruleId] = {
      type: record.type,
      episodes: record.episodes,
      open: rule?.type === record.type ? record.open : null,
      state: null,
    }
  }
  return restored
}
