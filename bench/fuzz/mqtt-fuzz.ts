// The MQTT front fuzz: raw TCP sockets sending random bytes, mutated and valid packets, and
// huge declared lengths to a real gateway. It asserts nothing itself; the caller checks that
// the gateway stays up, the good devices are unaffected and memory stays bounded.
import { connect, type Socket } from 'node:net'
import {
  connectPacket,
  createRng,
  generate,
  hugeHeader,
  mutatePacket,
  validPacket,
  type FuzzIdentity,
  type MutationKind,
  type Rng,
} from './mqtt-packets.js'

export type SessionKind = 'random' | 'connect-mutated' | 'session' | 'pre-connect' | 'huge-length'

export interface MqttFuzzOptions {
  host: string
  port: number
  seed: number
  /** Stop after about this many packets (a chunk of random bytes counts as one). */
  packets: number
  concurrency: number
  /** One registered device per concurrent worker, so workers do not take over each other's sessions. */
  identities: readonly FuzzIdentity[]
  /** Telemetry payloads to publish (mutated or not). */
  payloads: readonly Buffer[]
  /** Junk sent after a huge declared remaining length (what an attacker streams into the parser). */
  hugeBodyBytes: number
  /** A session the gateway has not closed by then is closed by the fuzzer. */
  sessionTimeoutMs: number
  /** The fuzzer half-closes a session once the gateway has sent nothing for this long. */
  quietMs: number
  onProgress?: (stats: MqttFuzzStats) => void
}

export interface MqttFuzzStats {
  sessions: number
  packets: number
  bytesSent: number
  kinds: Partial<Record<SessionKind, number>>
  mutations: Partial<Record<MutationKind, number>>
  /** Sessions the gateway answered at least one byte to (CONNACK, SUBACK, PINGRESP …). */
  answered: number
  bytesReceived: number
  /** Bytes the gateway sent back, by session kind: shows how deep each kind got. */
  receivedByKind: Partial<Record<SessionKind, number>>
  /** Sessions the gateway ended before the fuzzer did (refused CONNECT, parse error, ACL). */
  closedByGateway: number
  closedByFuzzer: number
  socketErrors: number
}

interface Plan {
  kind: SessionKind
  chunks: Buffer[]
  /** Sent once the gateway has answered the CONNECT: a parse error in them would otherwise close the session before its CONNACK. */
  afterAnswer: Buffer[]
  packets?: number
}

export function planSession(
  rng: Rng,
  self: FuzzIdentity,
  options: MqttFuzzOptions,
  stats: MqttFuzzStats,
): Plan {
  let chunks: Buffer[] = []
  const first = chunks
  const packet = (mutateOdds: number, inSession = false): void => {
    const bytes = generate(validPacket(rng, self, options.payloads, inSession))
    if (!bytes) return
    if (rng.next() < mutateOdds) {
      const mutated = mutatePacket(rng, bytes)
      stats.mutations[mutated.kind] = (stats.mutations[mutated.kind] ?? 0) + 1
      chunks.push(mutated.bytes)
    } else chunks.push(bytes)
  }
  const goodConnect = (): void => {
    chunks.push(generate(connectPacket(rng, self, true))!)
    chunks = []
  }
  // A CONNECT mqtt-packet refuses to encode (say, an empty client id with a persistent session) is sent as junk.
  const connectBytes = (): Buffer => generate(connectPacket(rng, self)) ?? rng.bytes(1 + rng.int(64))
  const roll = rng.int(100)
  if (roll < 15) {
    for (let i = 1 + rng.int(4); i > 0; i--) {
      const junk = rng.bytes(1 + rng.int(1024))
      if (rng.int(3) === 0) junk[0] = 0x10 // looks like a CONNECT
      chunks.push(junk)
    }
    return { kind: 'random', chunks, afterAnswer: [] }
  }
  if (roll < 35) {
    const mutated = mutatePacket(rng, connectBytes())
    stats.mutations[mutated.kind] = (stats.mutations[mutated.kind] ?? 0) + 1
    chunks.push(mutated.bytes)
    for (let i = rng.int(5); i > 0; i--) packet(0.5)
    return { kind: 'connect-mutated', chunks, afterAnswer: [] }
  }
  if (roll < 45) {
    for (let i = 1 + rng.int(5); i > 0; i--) packet(0.3)
    return { kind: 'pre-connect', chunks, afterAnswer: [] }
  }
  if (roll < 50) {
    if (rng.int(2) === 0) goodConnect()
    const packets = first.length + 1
    chunks.push(hugeHeader(rng))
    let left = rng.int(options.hugeBodyBytes + 1)
    while (left > 0) {
      const size = Math.min(left, 16 * 1024)
      chunks.push(Buffer.alloc(size, rng.int(256)))
      left -= size
    }
    return { kind: 'huge-length', chunks: first, afterAnswer: first === chunks ? [] : chunks, packets }
  }
  // An authenticated session: mostly valid traffic, so that it lives long enough to reach the
  // publish, subscribe and ack handlers before a mutated packet ends it.
  goodConnect()
  for (let i = 1 + rng.int(40); i > 0; i--) packet(0.06, true)
  return { kind: 'session', chunks: first, afterAnswer: chunks }
}

function runSession(options: MqttFuzzOptions, plan: Plan, stats: MqttFuzzStats): Promise<void> {
  return new Promise((resolve) => {
    let answered = false
    let quiet: NodeJS.Timeout | undefined
    let deadline: NodeJS.Timeout | undefined
    const socket: Socket = connect({ host: options.host, port: options.port })
    // Half-closing at once would let the gateway drop the session before it read the packets:
    // the socket stays open until the gateway has been silent for a while (its PUBACKs wait
    // for Kafka), or closes it itself, or the session's time is up.
    const endWhenQuiet = (): void => {
      clearTimeout(quiet)
      quiet = setTimeout(() => socket.end(), options.quietMs)
    }
    const send = (chunks: readonly Buffer[]): void => {
      for (const chunk of chunks) {
        if (socket.destroyed || socket.writableEnded) return
        socket.write(chunk)
        stats.bytesSent += chunk.length
      }
    }
    socket.on('data', (chunk: Buffer) => {
      if (!answered) send(plan.afterAnswer)
      answered = true
      stats.bytesReceived += chunk.length
      stats.receivedByKind[plan.kind] = (stats.receivedByKind[plan.kind] ?? 0) + chunk.length
      if (!socket.writableEnded) endWhenQuiet()
    })
    socket.on('error', () => {
      stats.socketErrors++ // ECONNRESET / EPIPE when the gateway closes first: expected
    })
    socket.once('end', () => {
      if (!socket.writableEnded) stats.closedByGateway++
    })
    socket.on('close', () => {
      clearTimeout(quiet)
      clearTimeout(deadline)
      if (answered) stats.answered++
      resolve()
    })
    socket.once('connect', () => {
      send(plan.chunks)
      endWhenQuiet()
      deadline = setTimeout(() => {
        stats.closedByFuzzer++
        socket.destroy()
      }, options.sessionTimeoutMs)
    })
  })
}

/** Runs sessions on `concurrency` sockets at a time until about `packets` packets were sent. */
export async function runMqttFuzz(options: MqttFuzzOptions): Promise<MqttFuzzStats> {
  const stats: MqttFuzzStats = {
    sessions: 0,
    packets: 0,
    bytesSent: 0,
    kinds: {},
    mutations: {},
    answered: 0,
    bytesReceived: 0,
    receivedByKind: {},
    closedByGateway: 0,
    closedByFuzzer: 0,
    socketErrors: 0,
  }
  let lastProgress = 0
  let index = 0
  async function worker(self: FuzzIdentity): Promise<void> {
    while (stats.packets < options.packets) {
      // Each session has its own stream from (seed, index): session i replays whatever the interleaving.
      const rng = createRng(Math.imul(options.seed, 1_000_003) + index++)
      const plan = planSession(rng, self, options, stats)
      stats.sessions++
      stats.packets += plan.packets ?? plan.chunks.length + plan.afterAnswer.length
      stats.kinds[plan.kind] = (stats.kinds[plan.kind] ?? 0) + 1
      await runSession(options, plan, stats)
      if (options.onProgress && stats.packets - lastProgress >= options.packets / 20) {
        lastProgress = stats.packets
        options.onProgress(stats)
      }
    }
  }
  const workers = options.identities.slice(0, options.concurrency)
  await Promise.all(workers.map((self) => worker(self)))
  return stats
}
