import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { Clock } from '../../core/clock.js'
import { applySignal, type EventContext, type RuleRecord } from './engine/episode.js'
import { formatDuration } from './rules/format.js'
import type { RuleDefinition } from './rules/rule-set.js'
import type { Priority } from './rules/schema-parts.js'

/** Ids of the watch's own subjects: '@' is not allowed in device ids, so none collides with a device. */
export const MONITORING_SUBJECT_PREFIX = '@monitoring.'
export const MONITORING_RULE_ID = 'monitoring-unavailable'

/** The subject of one alerting instance's partitions: its group and the lowest partition index it owns. */
export const monitoringSubject = (groupId: string, lowestPartition: number): string =>
  `${MONITORING_SUBJECT_PREFIX}${groupId}.p${lowestPartition}`

export const isMonitoringSubject = (key: string): boolean => key.startsWith(MONITORING_SUBJECT_PREFIX)

/** A subject of this group (another group's watch is none of its business). */
export const isSubjectOf = (groupId: string, key: string): boolean =>
  key.startsWith(`${MONITORING_SUBJECT_PREFIX}${groupId}.`)

/** The subject an assignment speaks for, and the status partition its record is stored under. */
export function monitoringScope(
  groupId: string,
  assigned: ReadonlyArray<{ partition: number }>,
): { subject: string | undefined; partition: number } {
  const lowest = Math.min(...assigned.map((tp) => tp.partition))
  return Number.isFinite(lowest)
    ? { subject: monitoringSubject(groupId, lowest), partition: lowest }
    : { subject: undefined, partition: 0 }
}

/**
 * "Monitoring unavailable" (issue #9): when partitions' clocks stop (no record, no gateway
 * heartbeat: a gateway or Kafka ingress is down), no device on them can raise anything, and a
 * per-device communication-loss storm would bury the one fact that matters. So one technical
 * alarm per alerting instance names the partitions and sites affected, and clears when data
 * flows again. Its episode record is stored like a device's, under the instance's subject.
 */
export interface MonitoringWatch {
  /** A new assignment: the subject it owns now; records restored for other subjects are ended at the next check. */
  reset(subject: string | undefined, restored: ReadonlyMap<string, Buffer>): void
  /** The stalled partitions now (of `known` watched ones) and their sites: the transitions this causes. */
  check(stalled: readonly string[], known: number, sites: readonly string[], quietMs: number): AlertEvent[]
  /** Subjects whose record changed since the last call, with their serialised record. */
  takeDirty(): Array<{ subject: string; record: Buffer }>
}

export function createMonitoringWatch(deps: { clock: Clock; priority: Priority }): MonitoringWatch {
  const { clock } = deps
  let subject: string | undefined
  let records = new Map<string, RuleRecord>()
  const dirty = new Set<string>()
  const rule: RuleDefinition = {
    id: MONITORING_RULE_ID,
    type: MONITORING_RULE_ID,
    appliesTo: [],
    description: 'No data and no gateway heartbeat on assigned partitions: alarms cannot be raised there.',
    logic: {
      kind: 'technical',
      metric: undefined,
      sampleMetrics: [],
      stateSchema: undefined as never, // never restored through the engine
      initialState: () => ({}),
    },
  }
  const context = (id: string, sites: readonly string[]): EventContext => ({
    device: { deviceId: id, deviceType: 'unspecified', site: sites.join(',') || undefined },
    rule,
    clock,
  })
  const recordOf = (id: string): RuleRecord => {
    let record = records.get(id)
    if (!record) records.set(id, (record = { type: MONITORING_RULE_ID, episodes: 0, open: null, state: {} }))
    return record
  }
  const end = (id: string, record: RuleRecord, message: string): AlertEvent[] => {
    if (!record.open) return []
    dirty.add(id)
    const now = clock.now()
    return applySignal(
      record,
      { active: false, value: 0, limit: 0, tsMs: now, message },
      false,
      context(id, []),
    )
  }

  return {
    reset(next, restored) {
      subject = next
      records = new Map()
      for (const [id, bytes] of restored) {
        const record = decodeRecord(bytes)
        if (record) records.set(id, record)
      }
    },
    check(stalled, known, sites, quietMs) {
      const events: AlertEvent[] = []
      // Another instance's subject restored here after a rebalance: its alarm ends; ours speaks for these partitions now.
      for (const [id, record] of records)
        if (id !== subject) events.push(...end(id, record, 'Partitions handed to another alerting instance'))
      if (!subject) return events
      const record = recordOf(subject)
      if (stalled.length === 0)
        return [...events, ...end(subject, record, 'Data and gateway heartbeats flowing again')]
      const where = sites.length > 0 ? ` (sites ${sites.join(', ')})` : ''
      const signal = {
        active: true as const,
        priority: deps.priority,
        value: stalled.length,
        limit: known,
        tsMs: clock.now(),
        message: `Monitoring unavailable: no data or gateway heartbeat for over ${formatDuration(quietMs)} on ${stalled.length} of ${known} partitions${where}; their devices cannot alarm`,
      }
      const before = record.open?.value
      const raised = applySignal(record, signal, false, context(subject, sites))
      if (raised.length > 0 || before !== record.open?.value) dirty.add(subject)
      return [...events, ...raised]
    },
    takeDirty() {
      const out = [...dirty].flatMap((id) => {
        const record = records.get(id)
        return record ? [{ subject: id, record: Buffer.from(JSON.stringify(record)) }] : []
      })
      dirty.clear()
      for (const id of [...records.keys()]) if (id !== subject && !records.get(id)?.open) records.delete(id)
      return out
    },
  }
}

function decodeRecord(bytes: Buffer): RuleRecord | undefined {
  try {
    const raw = JSON.parse(bytes.toString('utf8')) as Partial<RuleRecord>
    if (raw.type !== MONITORING_RULE_ID || typeof raw.episodes !== 'number') return undefined
    return { type: MONITORING_RULE_ID, episodes: raw.episodes, open: raw.open ?? null, state: {} }
  } catch {
    return undefined
  }
}
