import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { encodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { createKafkaAdmin } from '../../../core/kafka/admin.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import type { Component } from '../../../core/lifecycle.js'
import type { DeadLetterLine } from '../../../processors/sinks/dead-letters.js'
import { buildAlertSinks, type BuiltSinks } from '../../../processors/sinks/main.js'
import { verifySignature } from '../../../processors/sinks/webhook/signature.js'
import { silentLogger, testKafka, unique } from '../../helpers/services.js'

export { alertEvent } from '../../helpers/alert-events.js'

/** A channel of the test's own, so it never sees another test's (or the demo's) alerts. */
export async function createAlertTopic(partitions = 3): Promise<{ name: string; remove(): Promise<void> }> {
  const name = unique('it-alerts')
  const admin = createKafkaAdmin(testKafka, 'it-sinks-admin')
  await admin.ensureTopics([{ name, partitions, config: {} }])
  return {
    name,
    async remove() {
      await admin.deleteTopic(name).catch(() => undefined)
      admin.close()
    },
  }
}

/** Produces alert events as alerting does (key = device id) and waits for every acknowledgement. */
export async function produceAlerts(topic: string, events: readonly (AlertEvent | Buffer)[]): Promise<void> {
  const producer = createKafkaProducer({
    kafka: testKafka,
    clientId: 'it-sinks-producer',
    logger: silentLogger,
  })
  await producer.start()
  try {
    for (const event of events) {
      await producer.produce(
        Buffer.isBuffer(event)
          ? { topic, key: 'garbage', value: event }
          : { topic, key: event.deviceId, value: Buffer.from(encodeAlertEvent(event)) },
      )
    }
  } finally {
    await producer.stop()
  }
}

/** `count` transitions spread over `devices` devices: raised, then cleared, per episode. */
export function alertStream(prefix: string, count: number, devices = 4): AlertEvent[] {
  const t0 = Date.UTC(2026, 0, 1, 9)
  return Array.from({ length: count }, (_, i) => {
    const deviceId = `${prefix}-${i % devices}`
    const step = Math.floor(i / devices)
    const episode = Math.floor(step / 2) + 1
    const eventTsMs = t0 + i * 1_000
    return {
      alertId: `${deviceId}/spo2-low/${episode}`,
      deviceId,
      subjectId: '',
      ruleId: 'spo2-low',
      ruleType: 'threshold',
      kind: 'physiological',
      priority: 'medium',
      transition: step % 2 === 0 ? 'raised' : 'cleared',
      metric: 'spo2',
      value: step % 2 === 0 ? 86 : 95,
      limit: 90,
      eventTsMs,
      emittedTsMs: Date.now(),
      latching: false,
      episode,
      message: `transition ${i}`,
      actor: '',
      late: false,
    }
  })
}

export interface RunningSinks {
  built: BuiltSinks
  stop(): Promise<void>
}

/** The sinks service in this process, with a channel, groups and dead-letter files of the test's own. */
export async function startSinks(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningSinks> {
  const built = buildAlertSinks({
    raw: { kafka: testKafka, http: { port: 0 }, fromBeginning: true, ...raw },
    source: 'test',
    env,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  })
  const started: Component[] = []
  for (const component of built.components) {
    await component.start()
    started.push(component)
  }
  return {
    built,
    async stop() {
      for (const component of started.reverse()) await component.stop()
    },
  }
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'pulsewire-sinks-'))

export function readJsonLines<T = DeadLetterLine>(file: string): T[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T)
}

export interface ReceivedRequest {
  key: string
  attempt: number
  status: number
  signatureOk: boolean
  body: string
}

export interface Receiver {
  url: string
  requests: ReceivedRequest[]
  /** Keys accepted (answered 2xx the first time): a receiver that dedupes on Idempotency-Key. */
  accepted: Map<string, string>
  duplicates: number
  stop(): Promise<void>
}

/** What the receiver answers the n-th request (1-based) carrying one key. */
export type Behaviour = (key: string, nth: number) => { status: number; delayMs?: number }

/** A real webhook receiver: verifies every signature and dedupes on the Idempotency-Key. */
export async function startReceiver(
  secret: string,
  behaviour: Behaviour = () => ({ status: 200 }),
  /** A port of the test's choosing (a receiver that comes back where it was down); default any. */
  port = 0,
): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const accepted = new Map<string, string>()
  const seen = new Map<string, number>()
  const state = { duplicates: 0 }
  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (body) => {
      const key = String(req.headers['idempotency-key'] ?? '')
      const nth = (seen.get(key) ?? 0) + 1
      seen.set(key, nth)
      const signature = req.headers['x-pulsewire-signature']
      const signatureOk = verifySignature(
        typeof signature === 'string' ? signature : undefined,
        body,
        secret,
        Date.now(),
      ).ok
      const answer = signatureOk ? behaviour(key, nth) : { status: 401 }
      // Recorded on arrival: a request answered late (past the sink's timeout) still counts.
      requests.push({
        key,
        attempt: Number(req.headers['x-pulsewire-attempt']),
        status: answer.status,
        signatureOk,
        body,
      })
      // A slow receiver is the scripted answer (a sink's timeout under test), not a readiness wait.
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
      if (answer.status < 300) {
        if (accepted.has(key)) state.duplicates++
        else accepted.set(key, body)
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain' })
      res.end(answer.status < 300 ? 'ok' : 'no')
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    requests,
    accepted,
    get duplicates() {
      return state.duplicates
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
}

/** A port nothing listens on (bound, then released): a receiver that is down the whole time. */
export async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
