import { Duplex } from 'node:stream'
import type { KeepaliveFront } from './keepalive.js'

/** What the guard decided about the bytes so far; anything but `ok` is final for the connection. */
export type PacketVerdict = 'ok' | 'too_large' | 'malformed'

/**
 * Told of each packet whose fixed header is complete: its type byte, remaining length, and the
 * offset of its type byte in the chunk being fed (-1 when the header began in an earlier chunk).
 */
export type HeaderObserver = (typeByte: number, length: number, start: number) => void

export interface PacketSizeGuard {
  /** Feeds the next bytes of the connection, in order. Sticky: once not `ok`, always not `ok`. */
  feed(chunk: Uint8Array, onHeader?: HeaderObserver): PacketVerdict
}

/** PINGREQ and PINGRESP are two bytes each: type, remaining length 0 [MQTT-3.12, 3.13]. */
const PINGREQ = 0xc0
const PINGRESP = Buffer.from([0xd0, 0x00])

/** The MQTT "Remaining Length" is at most four bytes [MQTT-2.2.3]; a fifth continuation is malformed. */
const MAX_LENGTH_BYTES = 4

/**
 * Follows the MQTT framing of a byte stream and judges each packet by its *declared* size, read
 * from the fixed header (1 type byte + 1–4 byte varint) before its body arrives: mqtt-packet
 * buffers a body until it is complete, so a CONNECT declaring 256 MB would otherwise be held in
 * memory as it trickles in (issue #10, finding 1). The size compared is the whole packet (fixed
 * header included), the quantity MQTT 5 calls Maximum Packet Size.
 *
 * Work is per chunk and per packet, not per byte: a body is skipped by arithmetic, only the
 * ≤ 5 header bytes of each packet are looked at, and nothing is copied or allocated. A header
 * split across chunks carries its state over.
 */
export function createPacketSizeGuard(maxPacketBytes: number): PacketSizeGuard {
  let verdict: PacketVerdict = 'ok'
  let bodyLeft = 0 // bytes of the current packet's body still to pass
  let inHeader = false // type byte seen, reading the varint
  let length = 0
  let multiplier = 1
  let lengthBytes = 0
  let typeByte = 0
  let start = -1

  return {
    feed(chunk, onHeader) {
      if (verdict !== 'ok') return verdict
      const n = chunk.length
      let i = 0
      start = -1
      while (i < n) {
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, n - i)
          bodyLeft -= take
          i += take
          continue
        }
        if (!inHeader) {
          inHeader = true
          length = 0
          multiplier = 1
          lengthBytes = 0
          // Type and flags: mqtt-packet judges them; only the size matters here (and to onHeader).
          typeByte = chunk[i] ?? 0
          start = i++
          continue
        }
        const byte = chunk[i++] ?? 0
        length += (byte & 0x7f) * multiplier
        lengthBytes++
        if (byte & 0x80) {
          if (lengthBytes === MAX_LENGTH_BYTES) return (verdict = 'malformed')
          multiplier *= 128
          continue
        }
        inHeader = false
        if (1 + lengthBytes + length > maxPacketBytes) return (verdict = 'too_large')
        bodyLeft = length
        onHeader?.(typeByte, length, start)
        start = -1
      }
      return verdict
    },
  }
}

/**
 * Wraps a connection (TCP or TLS socket, WebSocket stream) so every chunk passes the guard
 * before the broker can read it. A chunk is pushed on as the same Buffer (no copy); the inner
 * stream is paused while the broker does not read (aedes reads a connection's next packets only
 * when the current ones are done: that backpressure reaches the socket unchanged). On a
 * violation the connection is destroyed before the offending bytes are handed on.
 *
 * With `keepalive`, every packet seen here counts as the device's sign of life, and a PINGREQ
 * is answered here and taken out of the stream: aedes would see it only after the publishes
 * ahead of it are acknowledged, which during a Kafka outage is too late (ADR 0012). What is read
 * ahead of the broker is bounded by the stream's buffer (16 KiB plus one socket read), so a
 * device sending faster than that during an outage still has its PINGREQ stuck behind it.
 */
export function guardConnection(
  inner: Duplex,
  guard: PacketSizeGuard,
  onViolation: (verdict: Exclude<PacketVerdict, 'ok'>) => void,
  keepalive?: KeepaliveFront,
): Duplex {
  const outer: Duplex = new Duplex({
    allowHalfOpen: false,
    read() {
      inner.resume()
    },
    write(chunk: Buffer, _encoding, callback) {
      if (inner.write(chunk)) callback()
      else inner.once('drain', () => callback())
    },
    final(callback) {
      inner.end()
      callback()
    },
    destroy(err, callback) {
      inner.destroy()
      callback(err)
    },
  })
  // Offsets of the PINGREQs of the current chunk answered here (keepalive.ts, ADR 0012).
  const answered: number[] = []
  const onHeader: HeaderObserver | undefined = keepalive
    ? (typeByte, length, start) => {
        keepalive.seen(outer)
        if (typeByte === PINGREQ && length === 0 && start >= 0 && keepalive.ping(outer)) answered.push(start)
      }
    : undefined
  inner.on('data', (chunk: Buffer) => {
    answered.length = 0
    const verdict = guard.feed(chunk, onHeader)
    if (verdict !== 'ok') {
      onViolation(verdict)
      outer.destroy()
      return
    }
    if (answered.length === 0) {
      if (!outer.push(chunk)) inner.pause()
      return
    }
    // Through the outer stream, so the PINGRESP queues behind any packet aedes already wrote.
    for (let k = 0; k < answered.length; k++) outer.write(PINGRESP)
    let from = 0
    let more = true
    for (const at of answered) {
      if (at > from) more = outer.push(chunk.subarray(from, at))
      from = at + PINGRESP.length
    }
    if (from < chunk.length) more = outer.push(chunk.subarray(from))
    if (!more) inner.pause()
  })
  inner.once('end', () => outer.push(null))
  inner.on('error', (err) => outer.destroy(err))
  inner.once('close', () => outer.destroy())
  return outer
}
