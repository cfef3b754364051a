// Topic configs over the Kafka wire protocol: node-rdkafka 3.6.1 exposes no DescribeConfigs or
// IncrementalAlterConfigs (its AdminClient has createTopic, deleteTopic, createPartitions only;
// Blizzard/node-rdkafka PR #1124 is unmerged). Two requests, one short-lived connection:
// docs/adr/0010-topic-durability.md says why this and not a second Kafka client.
import { connect as netConnect, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { connect as tlsConnect } from 'node:tls'
import type { KafkaConfig } from '../config/shared.js'
import { PipelineError } from '../errors.js'

/** One topic-level config as the broker reports it. */
export interface TopicConfigEntry {
  value: string | null
  /** True when set on the topic itself (DYNAMIC_TOPIC_CONFIG), false for a broker or built-in default. */
  isTopicOverride: boolean
}

export interface TopicConfigClient {
  /** The named configs of one topic (all of them when `names` is omitted). */
  describe(topic: string, names?: readonly string[]): Promise<Map<string, TopicConfigEntry>>
  /** Sets the given configs on one topic and leaves every other config as it is (incremental). */
  set(topic: string, entries: Readonly<Record<string, string>>): Promise<void>
}

const API = { describeConfigs: 32, incrementalAlterConfigs: 44 } as const
// DescribeConfigs v1 and IncrementalAlterConfigs v0: the oldest versions Kafka 4.x still serves
// (KIP-896 removed DescribeConfigs v0), both before flexible encoding, so plain length prefixes.
const VERSION = { describeConfigs: 1, incrementalAlterConfigs: 0 } as const
const RESOURCE_TOPIC = 2
const OP_SET = 0
const SOURCE_DYNAMIC_TOPIC = 1

class Writer {
  #parts: Buffer[] = []
  int8(v: number): this {
    const b = Buffer.alloc(1)
    b.writeInt8(v)
    return this.push(b)
  }
  int16(v: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(v)
    return this.push(b)
  }
  int32(v: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(v)
    return this.push(b)
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1)
    const bytes = Buffer.from(v, 'utf8')
    return this.int16(bytes.length).push(bytes)
  }
  array<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1)
    this.int32(items.length)
    for (const item of items) each(this, item)
    return this
  }
  push(b: Buffer): this {
    this.#parts.push(b)
    return this
  }
  bytes(): Buffer {
    return Buffer.concat(this.#parts)
  }
}

class Reader {
  #offset = 0
  constructor(private readonly buf: Buffer) {}
  int8(): number {
    return this.buf.readInt8(this.#advance(1))
  }
  int16(): number {
    return this.buf.readInt16BE(this.#advance(2))
  }
  int32(): number {
    return this.buf.readInt32BE(this.#advance(4))
  }
  bool(): boolean {
    return this.int8() !== 0
  }
  string(): string | null {
    const length = this.int16()
    if (length < 0) return null
    const start = this.#advance(length)
    return this.buf.toString('utf8', start, start + length)
  }
  array<T>(each: () => T): T[] {
    const length = this.int32()
    return Array.from({ length: Math.max(0, length) }, each)
  }
  #advance(n: number): number {
    const at = this.#offset
    if (at + n > this.buf.length) throw new RangeError('truncated Kafka response')
    this.#offset += n
    return at
  }
}

/** The TLS options librdkafka would use, from the same `kafka.librdkafka` properties. */
function tlsOptions(props: KafkaConfig['librdkafka']): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const file = (key: string): Buffer | undefined =>
    typeof props[key] === 'string' ? readFileSync(props[key]) : undefined
  const ca = file('ssl.ca.location')
  const cert = file('ssl.certificate.location')
  const key = file('ssl.key.location')
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) }
}

function failed(
  message: string,
  cause?: unknown,
  retriable = true,
  context?: Record<string, unknown>,
): PipelineError {
  return new PipelineError('KAFKA_ADMIN_FAILED', message, {
    cause,
    retriable,
    ...(context ? { context } : {}),
  })
}

/** Kafka's UNKNOWN_TOPIC_OR_PARTITION, and how long a describe waits for a new topic to be known. */
const UNKNOWN_TOPIC_OR_PARTITION = 3
const UNKNOWN_TOPIC_PATIENCE_MS = 10_000

export function createTopicConfigClient(
  kafka: KafkaConfig,
  clientId: string,
  timeoutMs = 15_000,
): TopicConfigClient {
  const protocol = String(kafka.librdkafka['security.protocol'] ?? 'plaintext').toLowerCase()

  function open(hostPort: string): Promise<Socket> {
    const at = hostPort.lastIndexOf(':')
    const host = hostPort.slice(0, at).replace(/^\[|\]$/g, '')
    const port = Number(hostPort.slice(at + 1))
    return new Promise<Socket>((resolve, reject) => {
      const socket =
        protocol === 'ssl'
          ? tlsConnect({ host, port, servername: host, ...tlsOptions(kafka.librdkafka) }, () =>
              resolve(socket),
            )
          : netConnect({ host, port }, () => resolve(socket))
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(new Error(`no answer from ${hostPort} in ${timeoutMs} ms`)),
      )
      socket.once('error', reject)
    })
  }

  /** One request on a fresh connection to the first broker that answers; the response body. */
  async function request(apiKey: number, version: number, body: Buffer): Promise<Reader> {
    if (protocol.startsWith('sasl')) {
      // SASL needs its own handshake here; the ADR records this limit.
      throw failed(
        `topic configs cannot be read over ${protocol} by this client (ADR 0010)`,
        undefined,
        false,
      )
    }
    const header = new Writer().int16(apiKey).int16(version).int32(1).string(clientId).bytes()
    const frame = new Writer()
      .int32(header.length + body.length)
      .push(header)
      .push(body)
      .bytes()
    let lastError: unknown
    for (const broker of kafka.brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean)) {
      try {
        const socket = await open(broker)
        try {
          return new Reader(await exchange(socket, frame))
        } finally {
          socket.destroy()
        }
      } catch (err) {
        lastError = err
      }
    }
    throw failed(`no broker answered a topic-config request: ${String(lastError)}`, lastError)
  }

  const client: TopicConfigClient = {
    async describe(topic, names) {
      const body = new Writer()
        .array([topic], (w, t) => {
          w.int8(RESOURCE_TOPIC)
            .string(t)
            .array(names ?? null, (w2, n) => w2.string(n))
        })
        .int8(0) // include_synonyms
        .bytes()
      const r = await request(API.describeConfigs, VERSION.describeConfigs, body)
      r.int32() // throttle_time_ms
      const results = r.array(() => {
        const errorCode = r.int16()
        const errorMessage = r.string()
        r.int8()
        r.string()
        const configs = r.array(() => {
          const name = r.string() ?? ''
          const value = r.string()
          r.bool() // read_only
          const source = r.int8()
          r.bool() // is_sensitive
          r.array(() => [r.string(), r.string(), r.int8()]) // synonyms
          return [name, { value, isTopicOverride: source === SOURCE_DYNAMIC_TOPIC }] as const
        })
        return { errorCode, errorMessage, configs }
      })
      const result = results[0]
      if (!result) throw failed(`no config answer for ${topic}`)
      if (result.errorCode !== 0) {
        throw failed(
          `cannot describe the configs of ${topic}: error ${result.errorCode} ${result.errorMessage ?? ''}`,
          undefined,
          true,
          { errorCode: result.errorCode },
        )
      }
      return new Map(result.configs)
    },
    async set(topic, entries) {
      const body = new Writer()
        .array([topic], (w, t) => {
          w.int8(RESOURCE_TOPIC)
            .string(t)
            .array(Object.entries(entries), (w2, [name, value]) => w2.string(name).int8(OP_SET).string(value))
        })
        .int8(0) // validate_only
        .bytes()
      const r = await request(API.incrementalAlterConfigs, VERSION.incrementalAlterConfigs, body)
      r.int32() // throttle_time_ms
      const responses = r.array(() => ({
        errorCode: r.int16(),
        errorMessage: r.string(),
        type: r.int8(),
        name: r.string(),
      }))
      const response = responses[0]
      if (!response) throw failed(`no alter answer for ${topic}`)
      if (response.errorCode !== 0) {
        throw failed(
          `cannot alter the configs of ${topic}: error ${response.errorCode} ${response.errorMessage ?? ''}`,
          undefined,
          false,
        )
      }
    },
  }
  return {
    ...client,
    // A topic another process created a moment ago can be unknown to the broker asked (its
    // metadata cache lags the controller's): error 3 is asked again for a while, not reported.
    async describe(topic, names) {
      const deadline = Date.now() + UNKNOWN_TOPIC_PATIENCE_MS
      for (;;) {
        try {
          return await client.describe(topic, names)
        } catch (err) {
          const unknown = err instanceof PipelineError && err.context.errorCode === UNKNOWN_TOPIC_OR_PARTITION
          if (!unknown || Date.now() > deadline) throw err
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
      }
    },
  }
}

/** Writes one size-prefixed request and reads one size-prefixed response (its correlation id skipped). */
function exchange(socket: Socket, frame: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 4) return
      const size = received.readInt32BE(0)
      if (received.length >= 4 + size) resolve(received.subarray(8, 4 + size))
    })
    socket.once('error', reject)
    socket.once('close', () => reject(new Error('connection closed before the answer')))
    socket.write(frame)
  })
}
