import { describe, expect, it } from 'vitest'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { recordToPoints, type StoragePoint } from '../../../../processors/storage/points.js'
import {
  consumedRecord,
  envelope,
  sample,
  telemetryRecord,
  vitalsReading,
} from '../../../helpers/telemetry-fixtures.js'

const T = Date.UTC(2026, 0, 1, 12, 0, 0)
const line = (p: StoragePoint): string | undefined => p.line

function mapped(...args: Parameters<typeof telemetryRecord>) {
  const result = recordToPoints(consumedRecord(telemetryRecord(...args)))
  if (!result.ok) throw new Error(`unexpected rejection: ${result.error.reason}`)
  return result.value
}

describe('processors > storage > points', () => {
  it('groups the samples of a message by reading time: one point per instant, a field per metric', () => {
    const reading = envelope('dev-1', 7, T, [
      sample('heart_rate', 72),
      sample('spo2', 97, { quality: 'motion' }),
      sample('heart_rate', 70, { tsMs: T - 1_000 }),
      sample('spo2', 96, { tsMs: T - 1_000, quality: 'probe_off' }),
      sample('respiration_rate', 14, { tsMs: T - 2_000 }),
    ])
    const { points } = mapped(reading, { site: 'ward-3', subject: 'subj-9' })
    expect(points.map(line)).toEqual([
      `vitals,device_id=dev-1,device_type=bedside-monitor,site=ward-3,subject=subj-9 respiration_rate=14,respiration_rate_quality="valid" ${T - 2_000}`,
      `vitals,device_id=dev-1,device_type=bedside-monitor,site=ward-3,subject=subj-9 heart_rate=70,heart_rate_quality="valid",spo2=96,spo2_quality="probe_off" ${T - 1_000}`,
      `vitals,device_id=dev-1,device_type=bedside-monitor,site=ward-3,subject=subj-9 heart_rate=72,heart_rate_quality="valid",spo2=97,spo2_quality="motion" ${T}`,
    ])
    expect(points.map((p) => p.timeMs)).toEqual([T - 2_000, T - 1_000, T])
  })

  it('takes tags from the gateway headers, omits absent ones and never tags a sequence number or a time', () => {
    const reading = vitalsReading('dev-2', 41, T)
    const full = mapped(reading, { type: 'wearable', site: 'icu', subject: 's-1', rxMs: T + 25 })
    expect(line(full.points[0] as StoragePoint)).toMatch(
      /^vitals,device_id=dev-2,device_type=wearable,site=icu,subject=s-1 /,
    )
    expect(full.gatewayRxMs).toBe(T + 25)
    const bare = recordToPoints(
      consumedRecord({ ...telemetryRecord(reading), headers: { [HEADERS.gatewayRxTs]: 'garbage' } }),
    )
    expect(bare.ok && bare.value.points.map(line)[0]).toMatch(
      /^vitals,device_id=dev-2,device_type=bedside-monitor /,
    )
    expect(bare.ok && bare.value.gatewayRxMs).toBeUndefined()
    const text = full.points.map(line).join('\n')
    expect(text).not.toContain('41')
    expect(text).not.toMatch(/seq|boot/)
  })

  it('uses the measurement of the channel: environment telemetry goes to "environment"', () => {
    const reading = envelope(
      'env-1',
      1,
      T,
      [sample('ambient_temperature', 21.25), sample('relative_humidity', 40.5, { quality: 'calibrating' })],
      'environmental-sensor',
    )
    const { points } = mapped(reading, { site: 'plant-a' }, CHANNELS.environment)
    expect(points.map(line)).toEqual([
      `environment,device_id=env-1,device_type=environmental-sensor,site=plant-a ambient_temperature=21.25,ambient_temperature_quality="valid",relative_humidity=40.5,relative_humidity_quality="calibrating" ${T}`,
    ])
    expect(points[0]?.measurement).toBe('environment')
  })

  it('maps the same record to identical points every time, so a replay overwrites instead of duplicating', () => {
    const record = consumedRecord(telemetryRecord(vitalsReading('dev-3', 5, T), { site: 'w', rxMs: T + 3 }))
    const first = recordToPoints(record)
    const again = recordToPoints({ ...record, offset: record.offset + 1_000 })
    expect(first.ok && again.ok).toBe(true)
    if (!first.ok || !again.ok) return
    expect(again.value.points.map(line)).toEqual(first.value.points.map(line))
  })

  it('marks points holding backfilled samples, so their age is not counted as pipeline latency', () => {
    const reading = envelope('dev-4', 1, T, [
      sample('heart_rate', 80, { tsMs: T - 60_000, backfill: true }),
      sample('heart_rate', 81),
    ])
    expect(mapped(reading).points.map((p) => p.backfill)).toEqual([true, false])
  })

  it('refuses what cannot become a point, with a reason for the DLQ', () => {
    const poison = consumedRecord({
      topic: CHANNELS.vitals,
      key: 'x',
      value: Buffer.from('not protobuf \xff\xff'),
    })
    expect(recordToPoints(poison)).toMatchObject({ ok: false, error: { reason: 'malformed' } })
    const elsewhere = consumedRecord(telemetryRecord(vitalsReading('dev-5', 1, T), {}, CHANNELS.status))
    expect(recordToPoints(elsewhere)).toMatchObject({ ok: false, error: { reason: 'unknown_channel' } })
    const anonymous = consumedRecord(telemetryRecord(vitalsReading('', 1, T)))
    expect(recordToPoints(anonymous)).toMatchObject({ ok: false, error: { reason: 'missing_field' } })
    const nan = consumedRecord(telemetryRecord(envelope('dev-6', 1, T, [sample('heart_rate', Number.NaN)])))
    expect(recordToPoints(nan)).toMatchObject({ ok: false, error: { reason: 'not_a_number' } })
  })
})
