import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAlertId } from '../../../../core/alerts/alert-event.js'
import { javaPartition } from '../../../../core/kafka/murmur2.js'
import { CHANNELS, TELEMETRY_PARTITIONS } from '../../../../core/telemetry/topics.js'
import type { Member } from './members.js'

/**
 * What a member loss cost, from the members' own log lines (fault matrix row 5): when each
 * survivor was assigned again, how long its read of alerts.state.v1 took and how much it read,
 * and when it evaluated again. A failed run prints all of it with the missing transitions, so a
 * late take-over is explained by the run itself, not guessed at afterwards.
 */
interface Line {
  time?: string
  msg?: string
  event?: string
  partitions?: string[]
  [field: string]: unknown
}

const TIMELINE = new Set([
  'alerting started',
  'rebalance',
  'alert state read',
  'alert state read held at an open transaction; waiting for it to end',
  'alarm state restored; evaluating',
  'partitions revoked mid-batch; dropping its output, the new owner consumes it again',
])

function lines(member: Member): Line[] {
  return member.process
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Line]
      } catch {
        return []
      }
    })
}

const OMITTED = new Set(['time', 'msg', 'level', 'pid', 'hostname', 'component', 'groupId'])

const at = (l: Line): number => (l.time ? Date.parse(l.time) : Number.NaN)

/** The members' rebalance/restore lines from `sinceMs`, as text relative to `zeroMs` (the kill). */
export function timeline(members: readonly Member[], zeroMs: number, sinceMs = 0, victim?: Member): string {
  const rows: Array<[number, string]> = []
  for (const m of members) {
    for (const l of lines(m)) {
      if (!l.msg || !(TIMELINE.has(l.msg) || (typeof l.level === 'number' && l.level >= 50))) continue
      if (at(l) < sinceMs) continue
      const rest = Object.fromEntries(Object.entries(l).filter(([k]) => !OMITTED.has(k)))
      const msg = l.msg
      const detail = l.msg === 'rebalance' ? `${l.event} ${(l.partitions ?? []).length} partitions` : ''
      const extra = l.msg === 'rebalance' ? '' : JSON.stringify(rest)
      rows.push([at(l), `${m.name}${m === victim ? ' (killed)' : ''}: ${msg} ${detail}${extra}`])
    }
  }
  rows.sort((a, b) => a[0] - b[0])
  return rows.map(([t, text]) => `  ${((t - zeroMs) / 1000).toFixed(1).padStart(7)} s  ${text}`).join('\n')
}

/** Survivor figures after the kill: the slowest survivor's restore, and what its read cost. */
export function takeoverFigures(survivors: readonly Member[], killMs: number): Record<string, number> {
  let restoredMs = -1
  let readMs = 0
  let readRecords = 0
  let readBytes = 0
  for (const m of survivors) {
    const after = lines(m).filter((l) => at(l) >= killMs)
    const restored = after.filter((l) => l.msg === 'alarm state restored; evaluating').at(-1)
    if (restored) restoredMs = Math.max(restoredMs, at(restored) - killMs)
    for (const read of after.filter((l) => l.msg === 'alert state read')) {
      readMs = Math.max(readMs, Number(read.ms ?? 0))
      readRecords = Math.max(readRecords, Number(read.records ?? 0))
      readBytes = Math.max(readBytes, Number(read.bytes ?? 0))
    }
  }
  return {
    evaluatingAgainAfterKillMs: restoredMs,
    stateReadMs: readMs,
    stateReadRecords: readRecords,
    stateReadMiB: Math.round((readBytes / 2 ** 20) * 10) / 10,
  }
}

/**
 * Missing transitions per device: the device's partition, who held it before and after the kill,
 * and each transition as `transition@t` (t: the second of the stream whose reading caused it, so
 * a loss before the kill shows apart from a late take-over after it).
 */
export function missingByDevice(
  missing: readonly string[],
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string> | undefined,
  t0: number,
): string {
  const byDevice = new Map<string, string[]>()
  for (const k of missing) {
    const [id = '', transition = '', ts = ''] = k.split('|')
    const device = parseAlertId(id)?.deviceId ?? id
    const t = (Number(ts) - t0 - 1_000) / 1_000
    byDevice.set(device, [...(byDevice.get(device) ?? []), `${transition}@t=${t}`])
  }
  return [...byDevice]
    .map(([device, ks]) => {
      const p = javaPartition(device, TELEMETRY_PARTITIONS)
      const tp = `${CHANNELS.vitals}/${p}`
      return `  ${device} (partition ${p}, ${before.get(tp) ?? '?'} → ${after?.get(tp) ?? '?'}): ${ks.join(', ')}`
    })
    .join('\n')
}

/** Every member's whole log in a directory of its own, kept for after the run. */
export function keepLogs(members: readonly Member[], label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pulsewire-${label}-`))
  for (const m of members) writeFileSync(join(dir, `${m.name}.log`), m.process.stdout() + m.process.stderr())
  return dir
}
