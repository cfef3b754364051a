import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createPacketSizeGuard, guardConnection } from '../../../gateway/packet-guard.js'

/** An MQTT fixed header: type byte, then the remaining length as a varint [MQTT-2.2.3]. */
function header(type: number, remaining: number): Buffer {
  const bytes = [type]
  let x = remaining
  do {
    let byte = x % 128
    x = Math.floor(x / 128)
    if (x > 0) byte |= 0x80
    bytes.push(byte)
  } while (x > 0)
  return Buffer.from(bytes)
}

const packet = (remaining: number): Buffer =>
  Buffer.concat([header(0x30, remaining), Buffer.alloc(remaining, 7)])

/** Feeds `data` in chunks of `size` bytes and returns the first non-ok verdict (or ok). */
function feedInChunks(max: number, data: Buffer, size: number): string {
  const guard = createPacketSizeGuard(max)
  for (let i = 0; i < data.length; i += size) {
    const verdict = guard.feed(data.subarray(i, i + size))
    if (verdict !== 'ok') return verdict
  }
  return 'ok'
}

describe('gateway > packet-guard', () => {
  it('passes packets up to the limit, counting the fixed header', () => {
    // 1 type byte + 2 length bytes + 997 body bytes = 1000.
    expect(feedInChunks(1000, packet(997), 4096)).toBe('ok')
    expect(feedInChunks(999, packet(997), 4096)).toBe('too_large')
  })

  it('follows several packets in one chunk, zero-length ones included (PINGREQ)', () => {
    const ping = Buffer.from([0xc0, 0x00])
    const stream = Buffer.concat([ping, packet(10), ping, packet(200), ping])
    expect(feedInChunks(300, stream, stream.length)).toBe('ok')
    expect(feedInChunks(100, stream, stream.length)).toBe('too_large')
  })

  it('reads a header split across chunks at every byte boundary', () => {
    const stream = Buffer.concat([packet(127), packet(128), packet(16_383), packet(16_384), packet(3)])
    for (const size of [1, 2, 3, 5, 7, 64, 1000]) {
      expect(feedInChunks(20_000, stream, size)).toBe('ok')
      expect(feedInChunks(16_000, stream, size)).toBe('too_large')
    }
  })

  it('judges a 256 MB declared length on the header alone, before any body byte', () => {
    const connect = header(0x10, 268_435_455) // the largest four-byte varint
    expect(connect).toHaveLength(5)
    const guard = createPacketSizeGuard(512 * 1024)
    for (const byte of connect.subarray(0, 4)) expect(guard.feed(Buffer.from([byte]))).toBe('ok')
    expect(guard.feed(connect.subarray(4))).toBe('too_large')
    expect(guard.feed(Buffer.alloc(10))).toBe('too_large') // sticky
  })

  it('calls a fifth continuation byte malformed', () => {
    expect(feedInChunks(1 << 30, Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]), 1)).toBe('malformed')
  })

  it('hands chunks on as the same buffers and closes the stream on a violation', async () => {
    const inner = new PassThrough()
    const violations: string[] = []
    const outer = guardConnection(inner, createPacketSizeGuard(100), (v) => violations.push(v))
    const seen: Buffer[] = []
    outer.on('data', (chunk: Buffer) => seen.push(chunk))
    const good = packet(50)
    inner.write(good)
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen[0]?.buffer).toBe(good.buffer)
    const closed = new Promise((resolve) => outer.once('close', resolve))
    inner.write(header(0x10, 1_000_000))
    await closed
    expect(violations).toEqual(['too_large'])
    expect(inner.destroyed).toBe(true)
    expect(seen).toHaveLength(1)
  })
})
