import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeTelemetry, encodeTelemetry, type TelemetrySample } from '../../../core/telemetry/envelope.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// Issue #9 finding 6: a sample without a value must not reach the processors as a reading of 0.
// The gateway drops it (counted), sends the message's original bytes to the DLQ with the reason,
// forwards the rest of the message, and acknowledges the publish only once both are in Kafka.
const device = unique('nv-bm')
let gateway: TestGateway
let tap: Tap

const s = (
  metric: TelemetrySample['metric'],
  ucum: string,
  extra: Partial<TelemetrySample>,
): TelemetrySample => ({
  metric,
  value: 0,
  ucum,
  quality: 'unspecified',
  tsMs: 0,
  backfill: false,
  ...extra,
})

const message = (seq: number, samples: TelemetrySample[]): Buffer =>
  Buffer.from(
    encodeTelemetry({
      deviceId: device,
      bootId: 'boot-1',
      seq,
      deviceTsMs: Date.now(),
      deviceType: 'bedside-monitor',
      samples,
    }),
  )

async function droppedMetric(): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith('pulsewire_gateway_samples_dropped_total{') && l.includes('reason="missing_value"'),
    )
  return line ? Number(line.split(' ').pop()) : 0
}

beforeAll(async () => {
  gateway = await startTestGateway([{ id: device, type: 'bedside-monitor' }])
  tap = await tapChannels(testKafka, [CHANNELS.vitals, CHANNELS.dlq])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

describe('integration > gateway > samples without a value (real aedes, real Kafka)', () => {
  it('drops them to the DLQ with the raw bytes, forwards the rest, and acknowledges the publish', async () => {
    const client = await gateway.connect(device)
    const mixed = message(1, [
      s('heart_rate', '/min', { value: 72, quality: 'valid' }),
      s('spo2', '%', { valueAbsent: true }), // a numerics feed that lost SpO2: no value, no flag
      s('respiration_rate', '/min', { valueAbsent: true, quality: 'probe_off' }), // the quality says why: kept
      s('spo2', '%', { value: 0, quality: 'valid' }), // an explicit 0 is a value (judged by alerting)
    ])
    const allMissing = message(2, [s('heart_rate', '/min', { valueAbsent: true, quality: 'valid' })])
    await client.publishAsync(`devices/${device}/telemetry`, mixed, { qos: 1 })
    await client.publishAsync(`devices/${device}/telemetry`, allMissing, { qos: 1 })
    const good = await client.publishAsync(
      `devices/${device}/telemetry`,
      message(3, [s('spo2', '%', { value: 97 })]),
      {
        qos: 1,
      },
    )
    expect(good).toBeDefined()

    const mine = (topic: string) => tap.forKeys([device]).filter((r) => r.topic === topic)
    await eventually(() =>
      mine(CHANNELS.vitals).length >= 2 && mine(CHANNELS.dlq).length >= 2 ? true : undefined,
    )

    const forwarded = mine(CHANNELS.vitals).map((r) => {
      const decoded = decodeTelemetry(r.value)
      if (!decoded.ok) throw new Error('undecodable forward')
      return decoded.value
    })
    expect(forwarded.map((e) => e.seq)).toEqual([1, 3])
    expect(forwarded[0]!.samples.map((x) => [x.metric, x.value, x.quality, x.valueAbsent ?? false])).toEqual([
      ['heart_rate', 72, 'valid', false],
      ['respiration_rate', 0, 'probe_off', false],
      ['spo2', 0, 'valid', false],
    ])
    const letters = mine(CHANNELS.dlq)
    expect(letters.map((r) => r.headers[HEADERS.rejectReason]?.toString())).toEqual([
      'missing_value',
      'missing_value',
    ])
    expect(letters[0]!.value.equals(mixed)).toBe(true) // the original bytes, for inspection and replay
    expect(letters[1]!.value.equals(allMissing)).toBe(true)
    expect(letters[0]!.headers[HEADERS.rejectDetail]?.toString()).toContain(
      '1 of 4 samples without a value (spo2)',
    )
    expect(await droppedMetric()).toBe(2)
    await client.endAsync()
  })
})
