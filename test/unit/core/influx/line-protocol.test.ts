import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client'
import { afterAll, describe, expect, it } from 'vitest'
import {
  WRITE_PRECISION,
  boolValue,
  escapeMeasurement,
  escapeTag,
  floatValue,
  intValue,
  quoteString,
  timestampMs,
} from '../../../../core/influx/line-protocol.js'
import { HOSTILE_TEXTS, createRandom, randomText } from '../../../helpers/hostile-text.js'

// The client's own serialisation, with the time conversion of the write API the adapter uses
// (never connected: a write API only talks to InfluxDB when it flushes).
const writeApi: WriteApi = new InfluxDB({ url: 'http://127.0.0.1:9' }).getWriteApi(
  'org',
  'bucket',
  WRITE_PRECISION,
)
afterAll(() => void writeApi.dispose())
const clientLine = (point: Point): string | undefined => point.toLineProtocol(writeApi)

const T = 1_767_268_800_123

/** A line with one tag and a string field, written both ways. */
function both(measurement: string, tagKey: string, tagValue: string, fieldKey: string, text: string) {
  const client = clientLine(
    new Point(measurement).tag(tagKey, tagValue).stringField(fieldKey, text).timestamp(T),
  )
  // The client leaves out a tag with an empty value or key, and a field with an empty key.
  const tag = tagKey && tagValue ? `,${escapeTag(tagKey)}=${escapeTag(tagValue)}` : ''
  const ours = fieldKey
    ? `${escapeMeasurement(measurement)}${tag} ${escapeTag(fieldKey)}=${quoteString(text)} ${timestampMs(T)}`
    : undefined
  return { client, ours }
}

describe('core > influx > line protocol', () => {
  it.each(HOSTILE_TEXTS.map((text) => [JSON.stringify(text), text]))(
    'escapes %s exactly as the client does, as a measurement, tag key, tag value, field key and string value',
    (_, text) => {
      const { client, ours } = both(text || 'm', text, text, text, text)
      expect(ours).toBe(client)
      const asValue = both('vitals', 'device_id', text, 'note', text)
      expect(asValue.ours).toBe(asValue.client)
    },
  )

  it('matches the client on random strings (seeded fuzz, 5,000 lines)', () => {
    const random = createRandom(11)
    for (let i = 0; i < 5_000; i++) {
      const parts = [randomText(random), randomText(random), randomText(random)] as const
      const { client, ours } = both(randomText(random) || 'm', ...parts, randomText(random, 40))
      expect(ours, JSON.stringify(parts)).toBe(client)
    }
  })

  it.each([
    0,
    -0,
    1,
    -1,
    72,
    97.5,
    0.1 + 0.2,
    1e-7,
    5e-324,
    1.7976931348623157e308,
    1e21,
    -1e21,
    123456789.125,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
  ])('writes the float %d as the client does', (value) => {
    const client = clientLine(new Point('m').floatField('f', value).timestamp(T))
    expect(`m f=${floatValue(value)} ${timestampMs(T)}`).toBe(client)
  })

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'refuses the float %d, as the client does',
    (value) => {
      expect(() => new Point('m').floatField('f', value)).toThrow()
      expect(() => floatValue(value)).toThrow(RangeError)
    },
  )

  it.each([
    0,
    -0,
    1,
    -1,
    42.9,
    -42.9,
    2 ** 31,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 1,
    -(2 ** 53) - 1,
    1e18,
    -1e18,
    9223372036854775000,
  ])('writes the integer %d as the client does', (value) => {
    const client = clientLine(new Point('m').intField('i', value).timestamp(T))
    expect(`m i=${intValue(value)} ${timestampMs(T)}`).toBe(client)
  })

  it.each([Number.NaN, 2 ** 63, -(2 ** 63), Number.POSITIVE_INFINITY])(
    'refuses the integer %d, as the client does',
    (value) => {
      expect(() => new Point('m').intField('i', value)).toThrow()
      expect(() => intValue(value)).toThrow(RangeError)
    },
  )

  it('writes booleans and timestamps as the client does', () => {
    for (const value of [true, false]) {
      const client = clientLine(new Point('m').booleanField('b', value).timestamp(T))
      expect(`m b=${boolValue(value)} ${timestampMs(T)}`).toBe(client)
    }
    for (const time of [0, 1, T, T + 0.9, -5, 2 ** 53 - 1]) {
      const client = clientLine(new Point('m').floatField('f', 1).timestamp(time))
      expect(`m f=1 ${timestampMs(time)}`).toBe(client)
    }
  })

  it('leaves text with nothing to escape as it is (the same string, no copy)', () => {
    const id = 'bed-0042'
    expect(escapeTag(id)).toBe(id)
    expect(escapeMeasurement('vitals')).toBe('vitals')
    expect(quoteString('valid')).toBe('"valid"')
  })
})
