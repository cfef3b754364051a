// MQTT packets for the front-end fuzz: valid ones built with mqtt-packet's own generator
// (the same bytes a real client sends), then mutated the ways broken firmware and attackers do:
// bit flips, truncation, wrong flags, wrong types, lying remaining lengths.
import mqttPacket, { type Packet } from 'mqtt-packet'

/** A seeded PRNG (mulberry32): the same seed replays the same sessions. */
export interface Rng {
  next(): number
  int(maxExclusive: number): number
  pick<T>(items: readonly T[]): T
  bytes(length: number): Buffer
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive)
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    bytes(length) {
      const out = Buffer.allocUnsafe(length)
      for (let i = 0; i < length; i++) out[i] = int(256)
      return out
    },
  }
}

export interface FuzzIdentity {
  id: string
  secret: string
}

/** MQTT's remaining-length varint (1 to 4 bytes, at most 268,435,455). */
export function remainingLength(n: number): Buffer {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0 && out.length < 4)
  return Buffer.from(out)
}
export const MAX_REMAINING_LENGTH = 268_435_455

const topicFor = (rng: Rng, self: string, own: number): string =>
  rng.next() < own
    ? rng.pick([`devices/${self}/telemetry`, `devices/${self}/telemetry`, `devices/${self}/status`])
    : rng.pick([
        `devices/${self}/telemetry`,
        `devices/${self}/telemetry`,
        `devices/${self}/status`,
        `devices/${self}/alerts/x`,
        `devices/someone-else/telemetry`,
        'devices/+/telemetry',
        '#',
        '$SYS/broker/uptime',
        '',
        'a/'.repeat(rng.int(300)),
        `devices/${self}/telemetry\u0000`,
        `devices/${self}/\uFFFF`,
      ])

/**
 * A packet mqtt-packet can generate, with plausible and implausible field values. `inSession`
 * favours what a live device sends (own topics, pings, acks) over what ends a session (a second
 * CONNECT, DISCONNECT, a foreign topic), so that sessions last long enough to go deep.
 */
export function validPacket(
  rng: Rng,
  self: FuzzIdentity,
  payloads: readonly Buffer[],
  inSession = false,
): Packet {
  const messageId = rng.pick([1, 2, rng.int(65_536), 65_535, 0])
  const own = inSession ? 0.85 : 0.3
  const roll = rng.int(100)
  const cmd = inSession
    ? roll < 2
      ? 0
      : roll < 55
        ? 1
        : roll < 70
          ? 4
          : roll < 75
            ? 5
            : roll < 85
              ? 6
              : roll < 88
                ? 7
                : 8
    : Math.floor(roll / 10)
  switch (cmd) {
    case 0:
      return connectPacket(rng, self)
    case 1:
    case 2:
    case 3: {
      const qos = rng.pick([0, 1, 1, 2] as const)
      const payload = rng.int(3) === 0 ? rng.bytes(rng.int(512)) : rng.pick(payloads)
      return {
        cmd: 'publish',
        topic: topicFor(rng, self.id, own),
        payload,
        qos,
        retain: rng.int(8) === 0,
        dup: rng.int(8) === 0,
        ...(qos > 0 ? { messageId: messageId || 1 } : {}),
      }
    }
    case 4:
      return {
        cmd: 'subscribe',
        messageId: messageId || 1,
        subscriptions: Array.from({ length: 1 + rng.int(3) }, () => ({
          topic: topicFor(rng, self.id, own) || '#',
          qos: rng.pick([0, 1, 2] as const),
        })),
      }
    case 5:
      return {
        cmd: 'unsubscribe',
        messageId: messageId || 1,
        unsubscriptions: [topicFor(rng, self.id, own) || '#'],
      }
    case 6:
      return { cmd: rng.pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const), messageId }
    case 7:
      return { cmd: 'disconnect' }
    default:
      return { cmd: 'pingreq' }
  }
}

/** A CONNECT: mostly the fuzz device's own credentials, sometimes wrong ones, a will, MQTT 3.1 or 5. */
export function connectPacket(rng: Rng, self: FuzzIdentity, good = false): Packet {
  const protocolVersion = good ? 4 : rng.pick([4, 4, 4, 3, 5] as const)
  const withWill = !good && rng.int(4) === 0
  return {
    cmd: 'connect',
    protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion,
    clean: good || rng.int(2) === 0,
    clientId: good || rng.int(6) > 0 ? self.id : rng.pick(['', 'x'.repeat(300), 'someone-else']),
    keepalive: good ? 30 : rng.pick([0, 1, 30, 65_535]),
    username: good || rng.int(6) > 0 ? self.id : 'nobody',
    password: Buffer.from(good || rng.int(6) > 0 ? self.secret : 'wrong'),
    ...(withWill
      ? {
          will: {
            topic: topicFor(rng, self.id, 0.3),
            payload: rng.bytes(rng.int(64)),
            qos: rng.pick([0, 1, 2] as const),
            retain: rng.int(2) === 0,
          },
        }
      : {}),
  }
}

export function generate(packet: Packet): Buffer | undefined {
  try {
    return mqttPacket.generate(packet, {
      protocolVersion: packet.cmd === 'connect' ? packet.protocolVersion : 4,
    })
  } catch {
    return undefined // mqtt-packet refuses some combinations itself; the fuzz mutates bytes for those
  }
}

export type MutationKind = 'flip' | 'truncate' | 'flags' | 'type' | 'length' | 'insert' | 'duplicate'

/** One mutation of an encoded packet (never the huge-length case: the session plans that one). */
export function mutatePacket(rng: Rng, packet: Buffer): { kind: MutationKind; bytes: Buffer } {
  const kind = rng.pick(['flip', 'truncate', 'flags', 'type', 'length', 'insert', 'duplicate'] as const)
  const out = Buffer.from(packet)
  switch (kind) {
    case 'flip':
      for (let i = 1 + rng.int(3); i > 0; i--) out[rng.int(out.length)]! ^= 1 << rng.int(8)
      return { kind, bytes: out }
    case 'truncate':
      return { kind, bytes: out.subarray(0, rng.int(out.length)) }
    case 'flags':
      out[0] = (out[0]! & 0xf0) | rng.int(16)
      return { kind, bytes: out }
    case 'type':
      out[0] = (rng.int(16) << 4) | (out[0]! & 0x0f)
      return { kind, bytes: out }
    case 'length': {
      // Re-declare the remaining length: shorter, a little longer, or an invalid 5-byte varint.
      let headerEnd = 1
      while (headerEnd < out.length && out[headerEnd]! >= 0x80 && headerEnd < 5) headerEnd++
      const body = out.subarray(headerEnd + 1)
      const declared = rng.pick([0, Math.max(0, body.length - 1), body.length + 1 + rng.int(64)])
      const prefix =
        rng.int(8) === 0 ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]) : remainingLength(declared)
      return { kind, bytes: Buffer.concat([out.subarray(0, 1), prefix, body]) }
    }
    case 'insert': {
      const at = rng.int(out.length + 1)
      return {
        kind,
        bytes: Buffer.concat([out.subarray(0, at), rng.bytes(1 + rng.int(32)), out.subarray(at)]),
      }
    }
    case 'duplicate':
      return { kind, bytes: Buffer.concat([out, out]) }
  }
}

/** A fixed header declaring up to 256 MB, for the session to follow with as much junk as it dares. */
export function hugeHeader(rng: Rng): Buffer {
  const type = rng.pick([0x10, 0x10, 0x30, 0x32, 0x82])
  return Buffer.concat([
    Buffer.from([type]),
    remainingLength(rng.pick([MAX_REMAINING_LENGTH, 100 * 1024 * 1024, 16 * 1024 * 1024])),
  ])
}
