// fast-check arbitraries for the decoder fuzz: (a) arbitrary bytes, (b) mutations of the
// golden payloads, (c) structurally valid-ish protobuf. Positions are fractions of the input
// length so that one mutation list means something for every base payload.
import fc from 'fast-check'
import { METRICS } from '../../core/telemetry/metric-registry.js'
import {
  concat,
  doubleBytes,
  encodeField,
  encodeFields,
  lengthPrefixOffsets,
  varint,
  type WireField,
} from './proto-wire.js'

/** The gateway's default payload limit: generated inputs stay within it (and sometimes just above). */
export const FUZZ_MAX_PAYLOAD = 256 * 1024
/** The validation clock for generated payloads; golden payloads are validated at their own time. */
export const FUZZ_NOW_MS = 1_764_054_000_000

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })
const posIn = (f: number, length: number): number => Math.floor(f * length)
const U64_MAX = (1n << 64n) - 1n
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'splice'; other: number; from: number; to: number; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'varint'; at: number; kind: 'unterminated' | 'overlong' | 'max' }
  | { op: 'inflate'; which: number; length: bigint }
  | { op: 'repeat'; from: number; to: number; times: number }

const mutation = (bases: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fraction }),
    fc.record({
      op: fc.constant('splice' as const),
      other: fc.integer({ min: 0, max: bases - 1 }),
      from: fraction,
      to: fraction,
      at: fraction,
    }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fraction,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    fc.record({ op: fc.constant('delete' as const), at: fraction, count: fc.integer({ min: 1, max: 16 }) }),
    fc.record({
      op: fc.constant('varint' as const),
      at: fraction,
      kind: fc.constantFrom('unterminated', 'overlong', 'max'),
    }),
    fc.record({
      op: fc.constant('inflate' as const),
      which: fraction,
      length: fc.oneof(
        fc.constantFrom(2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, U64_MAX),
        fc.bigInt({ min: 0n, max: 1n << 20n }),
      ),
    }),
    fc.record({
      op: fc.constant('repeat' as const),
      from: fraction,
      to: fraction,
      times: fc.integer({ min: 2, max: 200 }),
    }),
  )

function applyMutation(bytes: Uint8Array, m: Mutation, bases: readonly Uint8Array[]): Uint8Array {
  const n = bytes.length
  switch (m.op) {
    case 'flip': {
      if (n === 0) return bytes
      const out = bytes.slice()
      out[posIn(m.at, n)]! ^= 1 << m.bit
      return out
    }
    case 'truncate':
      return bytes.subarray(0, posIn(m.at, n))
    case 'splice': {
      const other = bases[m.other]!
      const [a, b] = [posIn(m.from, other.length), posIn(m.to, other.length)].sort((x, y) => x - y)
      const at = posIn(m.at, n)
      return concat([bytes.subarray(0, at), other.subarray(a, b), bytes.subarray(at)])
    }
    case 'insert': {
      const at = posIn(m.at, n + 1)
      return concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)])
    }
    case 'delete': {
      const at = posIn(m.at, n)
      return concat([bytes.subarray(0, at), bytes.subarray(at + m.count)])
    }
    case 'varint': {
      const at = posIn(m.at, n)
      const bad =
        m.kind === 'unterminated'
          ? new Uint8Array(11).fill(0xff)
          : m.kind === 'overlong'
            ? Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)
            : varint(U64_MAX)
      return concat([bytes.subarray(0, at), bad, bytes.subarray(at + 1)])
    }
    case 'inflate': {
      const offsets = lengthPrefixOffsets(bytes)
      if (offsets.length === 0) return bytes
      const at = offsets[posIn(m.which, offsets.length)]!
      let end = at
      while (end < n && bytes[end]! >= 0x80) end++
      return concat([bytes.subarray(0, at), varint(m.length), bytes.subarray(end + 1)])
    }
    case 'repeat': {
      const [a, b] = [posIn(m.from, n), posIn(m.to, n)].sort((x, y) => x - y)
      const slice = bytes.subarray(a, b)
      const times = Math.min(m.times, Math.floor(FUZZ_MAX_PAYLOAD / Math.max(1, slice.length)))
      return concat([bytes.subarray(0, b), ...Array<Uint8Array>(times).fill(slice), bytes.subarray(b)])
    }
  }
}

/** (b) A golden payload with one to five mutations applied in order. */
export function mutatedGolden(bases: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      base: fc.integer({ min: 0, max: bases.length - 1 }),
      ops: fc.array(mutation(bases.length), { minLength: 1, maxLength: 5 }),
    })
    .map(({ base, ops }) => ops.reduce((bytes, op) => applyMutation(bytes, op, bases), bases[base]!))
}

/** (a) Arbitrary bytes: mostly short, sometimes a few KiB. */
export const arbitraryBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8192 }) },
)

const METRIC_DEFS = Object.values(METRICS)
const enumValue = (known: readonly number[]): fc.Arbitrary<bigint> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known).map(BigInt) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 100 }).map(BigInt) }, // negative: a 10-byte varint
    { weight: 1, arbitrary: fc.integer().map(BigInt) },
  )
/** Mostly safe integers; the unsafe ones (2^53 and up, negative as uint64) a fair share. */
const integer64 = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, U64_MAX, -1n),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
)
const plausibleTime = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -120_000, max: 120_000 }).map((d) => BigInt(FUZZ_NOW_MS + d)) },
  { weight: 1, arbitrary: integer64 },
)
const text = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.constantFrom('', 'fz-1', 'boot-1', ...METRIC_DEFS.map((m) => m.ucum)).map(utf8),
  },
  { weight: 4, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }).map(utf8) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) }, // mostly not UTF-8
)
/** Doubles with NaN, ±Infinity and -0 among them (fast-check's default), or a plausible reading. */
const value = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.double({ min: -10, max: 400, noNaN: true }),
)

/** A field with the right number and a wrong wire type, or a number the schema does not have. */
const strayField = (numbers: fc.Arbitrary<number>): fc.Arbitrary<WireField> =>
  fc.oneof(
    fc.record({ no: numbers, type: fc.constant('varint' as const), value: integer64 }),
    fc.record({
      no: numbers,
      type: fc.constant('fixed64' as const),
      value: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    }),
    fc.record({
      no: numbers,
      type: fc.constant('fixed32' as const),
      value: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    }),
    fc.record({ no: numbers, type: fc.constant('bytes' as const), value: fc.uint8Array({ maxLength: 32 }) }),
    fc.record({ no: numbers, type: fc.constant('group' as const), value: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({
      no: numbers,
      type: fc.constant('invalid' as const),
      wireType: fc.constantFrom(6 as const, 7 as const),
    }),
  )
const anyNumber = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 2 ** 29 - 1 }))
/** Usually none: most inputs should get past the wire format to the checks behind it. */
const strays = (maxLength: number): fc.Arbitrary<WireField[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<WireField[]>([]) },
    { weight: 1, arbitrary: fc.array(strayField(anyNumber), { minLength: 1, maxLength }) },
  )

const sampleFields: fc.Arbitrary<WireField[]> = fc
  .record({
    metric: fc.integer({ min: 0, max: METRIC_DEFS.length - 1 }),
    wireMetric: enumValue(METRIC_DEFS.map((m) => m.wire)),
    value,
    ucum: fc.option(text, { freq: 3 }),
    quality: enumValue([0, 1, 2, 3, 4, 5, 6, 7]),
    tsMs: fc.option(plausibleTime),
    backfill: fc.bigInt({ min: 0n, max: 3n }),
    stray: strays(2),
  })
  .map((s) => {
    const def = METRIC_DEFS[s.metric]!
    const fields: WireField[] = [
      { no: 1, type: 'varint', value: s.wireMetric },
      { no: 2, type: 'fixed64', value: doubleBytes(s.value) },
      { no: 3, type: 'bytes', value: s.ucum ?? utf8(def.ucum) },
      { no: 4, type: 'varint', value: s.quality },
      { no: 6, type: 'varint', value: s.backfill },
    ]
    if (s.tsMs !== null) fields.push({ no: 5, type: 'varint', value: s.tsMs })
    return [...fields, ...s.stray]
  })

const statusFields: fc.Arbitrary<WireField[]> = fc
  .record({ battery: integer64, rssi: integer64, firmware: text, mains: fc.bigInt({ min: 0n, max: 2n }) })
  .map((s) => [
    { no: 1, type: 'varint', value: s.battery },
    { no: 2, type: 'varint', value: s.rssi },
    { no: 3, type: 'bytes', value: s.firmware },
    { no: 4, type: 'varint', value: s.mains },
  ])

/** (c) A Telemetry message built field by field: right shapes, wrong shapes, huge repeats. */
export const structuredTelemetry: fc.Arbitrary<Uint8Array> = fc
  .record({
    deviceId: text,
    bootId: text,
    seq: integer64,
    deviceTsMs: plausibleTime,
    deviceType: enumValue([0, 1, 2, 3, 4, 5]),
    status: fc.option(statusFields),
    samples: fc.array(sampleFields, { maxLength: 6 }),
    repeatLast: fc.oneof(
      { weight: 60, arbitrary: fc.constant(0) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 3_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }) },
    ),
    stray: strays(3),
    shuffle: fc.boolean(),
  })
  .map((m) => {
    const head: WireField[] = [
      { no: 1, type: 'bytes', value: m.deviceId },
      { no: 2, type: 'bytes', value: m.bootId },
      { no: 3, type: 'varint', value: m.seq },
      { no: 4, type: 'varint', value: m.deviceTsMs },
      { no: 5, type: 'varint', value: m.deviceType },
    ]
    if (m.status) head.push({ no: 6, type: 'bytes', value: encodeFields(m.status) })
    const samples = m.samples.map((s) => encodeField({ no: 7, type: 'bytes', value: encodeFields(s) }))
    const last = samples.at(-1)
    if (last && m.repeatLast > 0) {
      // A huge repeated field, kept within the payload limit (plus a little, to cross it sometimes).
      const times = Math.min(m.repeatLast, Math.floor((FUZZ_MAX_PAYLOAD + 64) / last.length))
      samples.push(...Array<Uint8Array>(times).fill(last))
    }
    const parts = [...head.map(encodeField), ...samples, ...m.stray.map(encodeField)]
    if (m.shuffle) parts.reverse() // protobuf fields may come in any order; last one wins for scalars
    return concat(parts)
  })

/** All three input families; the weights favour the structured and mutated inputs, which reach deeper. */
export function fuzzPayload(goldens: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 2, arbitrary: arbitraryBytes },
    { weight: 4, arbitrary: mutatedGolden(goldens) },
    { weight: 4, arbitrary: structuredTelemetry },
  )
}
