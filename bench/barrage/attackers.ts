// The bad-input barrage (issue #10): every kind of hostile socket at once against one gateway,
// each kind from its own loopback source address (127.0.0.0/8 is all local on Linux), so the
// per-address limits of ADR 0009 apply to the attackers while good devices on an exempt
// address publish beside them. It asserts nothing itself: the test and the benchmark judge.
import { connect, type Socket } from 'node:net'
import {
  connectPacket,
  createRng,
  generate,
  remainingLength,
  type FuzzIdentity,
} from '../fuzz/mqtt-packets.js'

export type AttackKind = 'random' | 'truncated' | 'oversized' | 'huge' | 'halfOpen' | 'wrongPassword'

export const ATTACK_KINDS: readonly AttackKind[] = [
  'random',
  'truncated',
  'oversized',
  'huge',
  'halfOpen',
  'wrongPassword',
]

export interface BarrageOptions {
  host: string
  port: number
  seed: number
  /** Sockets per kind. */
  counts: Record<AttackKind, number>
  /** Source addresses per kind; a kind with several spreads its sockets over them. */
  sources: Record<AttackKind, readonly string[]>
  /** Registered ids the wrong-password CONNECTs claim (none of them a good device). */
  victims: readonly FuzzIdentity[]
  /** Oversized packets declare this many bytes (above limits.maxPacketBytes) and send 64 KiB of it. */
  oversizedBytes: number
  /** Half-open sockets (connected, never a complete CONNECT) are held this long. */
  holdMs: number
  /** How long one attack socket waits for the gateway before it gives up on it itself. */
  sessionTimeoutMs: number
}

export interface KindStats {
  sockets: number
  bytesSent: number
  /** Closed by the gateway before the attacker let go (refused at accept, packet guard, CONNACK). */
  closedByGateway: number
  /** Still open when the attacker closed it (half-open sockets held to the end, slow parsers). */
  closedByAttacker: number
  /** CONNACK return codes seen (wrong password: 5 until the back-off closes at accept). */
  connacks: Record<string, number>
  connectErrors: number
}

export type BarrageStats = Record<AttackKind, KindStats>

const MAX_DECLARED = 268_435_455

interface Session {
  socket: Socket
  stats: KindStats
  closed: Promise<void>
  closedByGateway(): boolean
  end(): void
}

function open(options: BarrageOptions, localAddress: string, stats: KindStats): Promise<Session | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: options.host, port: options.port, localAddress })
    let byUs = false
    let gone = false
    let received = Buffer.alloc(0)
    const closed = new Promise<void>((done) =>
      socket.once('close', () => {
        gone = true
        if (byUs) stats.closedByAttacker++
        else stats.closedByGateway++
        done()
      }),
    )
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]).subarray(0, 4)
      if (received.length >= 4 && received[0] === 0x20) {
        const code = String(received[3])
        stats.connacks[code] = (stats.connacks[code] ?? 0) + 1
        received = Buffer.from([0xff])
      }
    })
    socket.once('error', () => {
      if (!socket.connecting) return
      stats.connectErrors++
      resolve(undefined)
    })
    socket.once('connect', () => {
      stats.sockets++
      resolve({
        socket,
        stats,
        closed,
        closedByGateway: () => gone && !byUs,
        end() {
          if (gone) return
          byUs = true
          socket.destroy()
        },
      })
    })
  })
}

function send(session: Session, bytes: Buffer): void {
  if (session.socket.destroyed) return
  session.stats.bytesSent += bytes.length
  session.socket.write(bytes)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the gateway closes the session or `ms` pass, then closes it if still open. */
async function settle(session: Session, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([session.closed, new Promise<void>((r) => (timer = setTimeout(r, ms)))])
  clearTimeout(timer)
  session.end()
  await session.closed
}

/** Runs `count` sessions, `parallel` at a time, each on the next source address in turn. */
async function pool(
  count: number,
  parallel: number,
  sources: readonly string[],
  work: (index: number, source: string) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const index = next++
        await work(index, sources[index % sources.length] ?? '127.0.0.2')
      }
    }),
  )
}

const emptyStats = (): KindStats => ({
  sockets: 0,
  bytesSent: 0,
  closedByGateway: 0,
  closedByAttacker: 0,
  connacks: {},
  connectErrors: 0,
})

/** Every kind at once; resolves when every attack socket is closed. */
export async function runBarrage(options: BarrageOptions): Promise<BarrageStats> {
  const rng = createRng(options.seed)
  const stats = Object.fromEntries(ATTACK_KINDS.map((k) => [k, emptyStats()])) as BarrageStats
  const { counts, sources, sessionTimeoutMs: timeout } = options
  const victim = (i: number): FuzzIdentity =>
    options.victims[i % Math.max(1, options.victims.length)] ?? { id: 'nobody', secret: 'x' }
  const withSession = async (
    kind: AttackKind,
    source: string,
    body: (s: Session) => Promise<void>,
  ): Promise<void> => {
    const session = await open(options, source, stats[kind])
    if (session) await body(session)
  }

  const halfOpen: Session[] = []
  const attacks: Record<AttackKind, () => Promise<void>> = {
    random: () =>
      pool(counts.random, 20, sources.random, (_, source) =>
        withSession('random', source, async (s) => {
          send(s, rng.bytes(64 + rng.int(4_096)))
          await settle(s, timeout)
        }),
      ),
    truncated: () =>
      pool(counts.truncated, 20, sources.truncated, (i, source) =>
        withSession('truncated', source, async (s) => {
          const full = generate(connectPacket(rng, victim(i), true)) ?? Buffer.alloc(0)
          send(s, full.subarray(0, 1 + rng.int(Math.max(1, full.length - 1))))
          await settle(s, timeout)
        }),
      ),
    oversized: () =>
      pool(counts.oversized, 10, sources.oversized, (_, source) =>
        withSession('oversized', source, async (s) => {
          const type = rng.pick([0x10, 0x30, 0x32])
          send(s, Buffer.concat([Buffer.from([type]), remainingLength(options.oversizedBytes)]))
          send(s, rng.bytes(64 * 1024))
          await settle(s, timeout)
        }),
      ),
    huge: () =>
      pool(counts.huge, counts.huge, sources.huge, (_, source) =>
        withSession('huge', source, async (s) => {
          // 256 MB declared, then a slow trickle: what would sit in mqtt-packet's buffer unguarded.
          send(s, Buffer.concat([Buffer.from([0x10]), remainingLength(MAX_DECLARED)]))
          const chunk = rng.bytes(64 * 1024)
          for (let sent = 0; sent < 4 << 20 && !s.closedByGateway(); sent += chunk.length) {
            await sleep(20) // the pacing is the attack (a slow sender), not a wait for readiness
            send(s, chunk)
          }
          await settle(s, timeout)
        }),
      ),
    halfOpen: () =>
      pool(counts.halfOpen, 50, sources.halfOpen, (_, source) =>
        withSession('halfOpen', source, (s) => {
          // Connected, then one byte of a CONNECT and nothing more: a slot held for free.
          send(s, Buffer.from([0x10]))
          halfOpen.push(s)
          return Promise.resolve()
        }),
      ),
    wrongPassword: () =>
      pool(counts.wrongPassword, 25, sources.wrongPassword, (i, source) =>
        withSession('wrongPassword', source, async (s) => {
          const packet = generate(connectPacket(rng, { ...victim(i), secret: 'wrong' }, true))
          if (packet) send(s, packet)
          await settle(s, timeout)
        }),
      ),
  }
  const started = Date.now()
  await Promise.all(ATTACK_KINDS.map((kind) => attacks[kind]()))
  // The half-open sockets stay until the hold time is over (or the gateway drops them).
  await sleep(Math.max(0, options.holdMs - (Date.now() - started)))
  for (const s of halfOpen) s.end()
  await Promise.all(halfOpen.map((s) => s.closed))
  return stats
}
