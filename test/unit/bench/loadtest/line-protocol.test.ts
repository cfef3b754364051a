import { Point } from '@influxdata/influxdb-client'
import { describe, expect, it } from 'vitest'
import { decodeLineRecord, parseLine } from '../../../../bench/loadtest/line-protocol.js'

describe('line protocol decoding (the Telegraf peer’s Kafka records)', () => {
  it('reads device_id and seq from a Telegraf point', () => {
    const line = 'vitals,device_id=lt-1-000007 heart_rate=75.5,seq=12i 1764720000123000000'
    expect(parseLine(line)).toEqual({ measurement: 'vitals', tags: { device_id: 'lt-1-000007' }, seq: 12 })
    expect(decodeLineRecord(Buffer.from(`${line}\n`))).toEqual([{ deviceId: 'lt-1-000007', seq: 12 }])
  })

  it('undoes the escaping the InfluxDB client writes', () => {
    const point = new Point('vi tals,x')
      .tag('device_id', 'a b,c=d')
      .tag('other', 'x')
      .stringField('note', 'seq=99i, "quoted" \\ text')
      .intField('seq', 7)
      .floatField('spo2', 97)
      .timestamp('1764720000123000000')
    const line = point.toLineProtocol() ?? ''
    expect(parseLine(line)).toEqual({
      measurement: 'vi tals,x',
      tags: { device_id: 'a b,c=d', other: 'x' },
      seq: 7,
    })
  })

  it('gives every point of a multi-line record', () => {
    const value = Buffer.from(
      'vitals,device_id=d1 spo2=97,seq=3i 1\nvitals,device_id=d1 heart_rate=70,seq=3i 2\nvitals,device_id=d2 spo2=96,seq=4i 3\n',
    )
    expect(decodeLineRecord(value)).toEqual([
      { deviceId: 'd1', seq: 3 },
      { deviceId: 'd1', seq: 3 },
      { deviceId: 'd2', seq: 4 },
    ])
  })

  it('rejects a record that is not ours', () => {
    expect(decodeLineRecord(Buffer.from('vitals,device_id=d1 spo2=97 1'))).toBeUndefined() // no seq
    expect(decodeLineRecord(Buffer.from('vitals spo2=97,seq=1i 1'))).toBeUndefined() // no device_id
    expect(decodeLineRecord(Buffer.from('vitals,device_id=d1 seq=1.5 1'))).toBeUndefined() // seq not an integer
    expect(decodeLineRecord(Buffer.from([0x0a, 0x05, 0x64, 0x31]))).toBeUndefined() // protobuf bytes
    expect(decodeLineRecord(Buffer.from(''))).toBeUndefined()
  })
})
