import { describe, expect, it } from 'vitest'
import { HEADERS } from '../../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { decodeTelemetry, encodeTelemetry } from '../../../../core/telemetry/envelope.js'
import { dlqRecord } from '../../../../gateway/forward.js'
import { gatewayConfigSchema } from '../../../../gateway/config.js'
import { dlqEntry, hexDump, parseDlqId } from '../../../../processors/dlq/entry.js'
import { judgeRedrive } from '../../../../processors/dlq/judge.js'
import { consumedRecord, envelope, sample } from '../../../helpers/telemetry-fixtures.js'

const RX = Date.UTC(2026, 11, 3, 10)
const limits = gatewayConfigSchema.parse({}).limits
const device = { deviceId: 'wr-7', type: 'wearable' as const, site: 'ward-3' }
const directory = {
  lookup: (id: string) => (id === 'wr-7' ? { type: 'wearable' as const, site: 'ward-3' } : undefined),
}

function threeSamples(seq = 9): Buffer {
  const e = envelope(
    'wr-7',
    seq,
    RX - 1_000,
    [sample('heart_rate', 70), sample('spo2', 97), sample('respiration_rate', 14)],
    'wearable',
  )
  return Buffer.from(encodeTelemetry(e))
}

const rejected = (payload: Buffer, reason: 'too_many_samples' | 'malformed' | 'oversized', keep = 1024) =>
  consumedRecord(dlqRecord(device, 'devices/wr-7/telemetry', payload, { reason, detail: 'x' }, RX, keep), {
    partition: 1,
    offset: 41,
  })

describe('DLQ entries', () => {
  it('reads time, reason, device, topic, size and a decoded summary', () => {
    const entry = dlqEntry(rejected(threeSamples(), 'too_many_samples'))
    expect(entry).toMatchObject({
      id: '1:41',
      timeMs: RX,
      reason: 'too_many_samples',
      device: 'wr-7',
      topic: 'devices/wr-7/telemetry',
      truncated: false,
    })
    expect(entry.summary).toContain('seq 9')
    expect(entry.summary).toContain('heart_rate=70')
    expect(dlqEntry(rejected(Buffer.from([0xff, 0xff, 0x01]), 'malformed')).summary).toMatch(
      /^undecodable: malformed/,
    )
  })
  it('dumps the head of the bytes and parses ids', () => {
    expect(hexDump(Buffer.from('pulsewire'))[0]).toContain('70 75 6c 73')
    expect(hexDump(Buffer.alloc(300), 256).at(-1)).toBe('… 44 more bytes')
    expect(parseDlqId('2:17')).toEqual({ partition: 2, offset: 17 })
    expect(parseDlqId('2-17')).toBeUndefined()
  })
})

describe('re-drive verdict (the gateway validation again)', () => {
  it('still rejects under the limits that rejected it, and passes once they are relaxed', () => {
    const record = rejected(threeSamples(), 'too_many_samples')
    expect(judgeRedrive(record, directory, { ...limits, maxSamplesPerMessage: 2 })).toMatchObject({
      kind: 'rejected',
      reason: 'too_many_samples',
    })
    const verdict = judgeRedrive(record, directory, limits)
    if (verdict.kind !== 'passes') throw new Error(`expected a pass, got ${verdict.kind}`)
    expect(verdict.record.topic).toBe(CHANNELS.vitals)
    expect(verdict.record.key).toBe('wr-7')
    expect(verdict.record.value.equals(record.value)).toBe(true)
    expect(verdict.record.headers?.[HEADERS.gatewayRxTs]).toBe(String(RX))
    expect(verdict.record.headers?.[HEADERS.redrivenFrom]).toBe(`${CHANNELS.dlq}/1@41`)
    const decoded = decodeTelemetry(verdict.record.value)
    expect(decoded.ok && decoded.value.seq).toBe(9)
  })
  it('judges time as at the original receipt, not now', () => {
    // RX is a fixed day in the past: judged against today, maxAgeMs (7 d) would refuse the readings.
    const verdict = judgeRedrive(rejected(threeSamples(), 'too_many_samples'), directory, limits)
    expect(verdict.kind).toBe('passes')
  })
  it('refuses what cannot be re-driven, and devices no longer enrolled', () => {
    expect(judgeRedrive(rejected(Buffer.alloc(2048, 1), 'oversized', 100), directory, limits).kind).toBe(
      'not_redrivable',
    )
    expect(
      judgeRedrive(rejected(Buffer.from([0xff, 0xff, 0x01]), 'malformed'), directory, limits),
    ).toMatchObject({
      kind: 'rejected',
      reason: 'malformed',
    })
    expect(
      judgeRedrive(rejected(threeSamples(), 'too_many_samples'), { lookup: () => undefined }, limits),
    ).toMatchObject({
      kind: 'rejected',
      reason: 'not_enrolled',
    })
  })
})
