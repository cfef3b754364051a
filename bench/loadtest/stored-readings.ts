import { ident, literal, type InfluxQl } from './influx-ql.js'
import type { ReadingClock } from './schedule.js'

/** Where a run's readings land: the target's measurement, counted on a field every reading has. */
export interface StoreLocation {
  ql: InfluxQl
  measurement: string
  field: string
  /** Device ids of this run all start with this (regex-safe: letters, digits, "-"). */
  idPrefix: string
  /** No reading of this run is older. */
  sinceMs: number
}

/** Points per device of this run, one cheap aggregate query. */
export async function storedCounts(at: StoreLocation): Promise<Map<string, number>> {
  const series = await at.ql.query(
    `SELECT count(${ident(at.field)}) FROM ${ident(at.measurement)} ` +
      `WHERE "device_id" =~ /^${at.idPrefix}-/ AND time >= ${Math.floor(at.sinceMs)}ms GROUP BY "device_id"`,
  )
  const counts = new Map<string, number>()
  for (const s of series) {
    const id = s.tags.device_id
    const value = Number(s.values[0]?.[1] ?? 0)
    if (id) counts.set(id, value)
  }
  return counts
}

/** Total points of this run (the settle loop's progress measure). */
export async function storedTotal(at: StoreLocation): Promise<number> {
  let total = 0
  for (const n of (await storedCounts(at)).values()) total += n
  return total
}

/**
 * The device's stored readings per seq, from the points' times (a reading's time names its
 * seq: see schedule.ts). Points at times no reading of this run has are counted as foreign.
 */
export async function storedBySeq(
  at: StoreLocation,
  deviceId: string,
  device: number,
  clock: ReadingClock,
): Promise<{ bySeq: Map<number, number>; foreign: number }> {
  const series = await at.ql.query(
    `SELECT ${ident(at.field)} FROM ${ident(at.measurement)} ` +
      `WHERE "device_id" = ${literal(deviceId)} AND time >= ${Math.floor(at.sinceMs)}ms`,
  )
  const bySeq = new Map<number, number>()
  let foreign = 0
  for (const s of series) {
    for (const row of s.values) {
      const located = clock.locate(device, Number(row[0]))
      if (located) bySeq.set(located.seq, (bySeq.get(located.seq) ?? 0) + 1)
      else foreign++
    }
  }
  return { bySeq, foreign }
}
