// Wire-level editing of a Telemetry payload, for the one case where the gateway forwards less
// than the device sent (samples without a value, ADR 0015). Only the protobufjs runtime reader
// is used (not the generated code): the kept bytes are copied verbatim, so fields this version
// does not know, and the device's own encoding of everything else, reach the consumers unchanged.
import protobuf from 'protobufjs/minimal.js'

/** Field number of `repeated Sample samples` in pulsewire.telemetry.v1.Telemetry. */
const SAMPLES_FIELD = 7

/**
 * The payload without the samples at `drop` (indexes in wire order, as `decodeTelemetry` lists
 * them). Throws on bytes that are not a protobuf message; callers pass payloads that decoded.
 */
export function withoutSamples(payload: Uint8Array, drop: ReadonlySet<number>): Buffer {
  const reader = protobuf.Reader.create(payload)
  const kept: Uint8Array[] = []
  let keptFrom = 0
  let sampleIndex = 0
  while (reader.pos < reader.len) {
    const start = reader.pos
    const tag = reader.uint32()
    reader.skipType(tag & 7, 0, tag >>> 3)
    // Only length-delimited entries are samples to the generated decoder (others are unknown fields).
    if (tag >>> 3 !== SAMPLES_FIELD || (tag & 7) !== 2) continue
    if (drop.has(sampleIndex)) {
      kept.push(payload.subarray(keptFrom, start))
      keptFrom = reader.pos
    }
    sampleIndex++
  }
  kept.push(payload.subarray(keptFrom, reader.len))
  return Buffer.concat(kept)
}
