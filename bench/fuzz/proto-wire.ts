// A minimal protobuf wire writer and scanner for the fuzzers: they must produce what no
// schema-driven encoder would (wrong wire types, invalid varints, lying length prefixes),
// so they cannot use protobufjs's own writer.

export type WireField =
  | { no: number; type: 'varint'; value: bigint }
  | { no: number; type: 'fixed64'; value: Uint8Array }
  | { no: number; type: 'fixed32'; value: Uint8Array }
  | { no: number; type: 'bytes'; value: Uint8Array }
  /** Start group + end group around the body: deprecated wire types 3/4, still legal to skip. */
  | { no: number; type: 'group'; value: Uint8Array }
  /** Wire types 6 and 7 do not exist: a decoder must refuse them. */
  | { no: number; type: 'invalid'; wireType: 6 | 7 }

export function varint(value: bigint): Uint8Array {
  const out: number[] = []
  let v = BigInt.asUintN(64, value)
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Uint8Array.from(out)
}

const tag = (no: number, wireType: number): Uint8Array => varint((BigInt(no) << 3n) | BigInt(wireType))

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export function encodeField(field: WireField): Uint8Array {
  switch (field.type) {
    case 'varint':
      return concat([tag(field.no, 0), varint(field.value)])
    case 'fixed64':
      return concat([
        tag(field.no, 1),
        field.value.subarray(0, 8),
        new Uint8Array(8 - Math.min(8, field.value.length)),
      ])
    case 'bytes':
      return concat([tag(field.no, 2), varint(BigInt(field.value.length)), field.value])
    case 'group':
      return concat([tag(field.no, 3), field.value, tag(field.no, 4)])
    case 'fixed32':
      return concat([
        tag(field.no, 5),
        field.value.subarray(0, 4),
        new Uint8Array(4 - Math.min(4, field.value.length)),
      ])
    case 'invalid':
      return tag(field.no, field.wireType)
  }
}

export const encodeFields = (fields: readonly WireField[]): Uint8Array => concat(fields.map(encodeField))

export function doubleBytes(value: number): Uint8Array {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setFloat64(0, value, true)
  return bytes
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i]!
    value += (byte & 0x7f) * scale
    scale *= 128
    if (byte < 0x80) return { value, next: i + 1 }
  }
  return undefined
}

/**
 * Offsets of the length prefixes of length-delimited fields, nested messages included (a
 * field whose body parses as fields is scanned too): where "length-field inflation" strikes.
 */
export function lengthPrefixOffsets(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0): number[] {
  const offsets: number[] = []
  let at = start
  while (at < end) {
    const key = readVarint(bytes, at)
    if (!key) return offsets
    const wireType = key.value % 8
    at = key.next
    if (wireType === 0) {
      const v = readVarint(bytes, at)
      if (!v) return offsets
      at = v.next
    } else if (wireType === 1) at += 8
    else if (wireType === 5) at += 4
    else if (wireType === 2) {
      const length = readVarint(bytes, at)
      if (!length || length.next + length.value > end) return offsets
      offsets.push(at)
      if (depth < 4)
        offsets.push(...lengthPrefixOffsets(bytes, length.next, length.next + length.value, depth + 1))
      at = length.next + length.value
    } else return offsets
  }
  return offsets
}
