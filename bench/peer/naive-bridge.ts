// The MQTT → Kafka → InfluxDB bridge a team writes first (performance.md §4, baseline B2):
// one Node process, mqtt.js subscriber → kafkajs producer.send() per message → kafkajs consumer
// → @influxdata/influxdb-client WriteApi, every library on its default settings. Competent and
// honest, not tuned: errors are logged, SIGTERM drains and closes everything. Its weak spots are
// the defaults themselves (see bench/peer/README.md), which is what the comparison measures.
//   node dist/bench/peer/naive-bridge.js --mqtt-url mqtt://127.0.0.1:19883 --mqtt-username peer-bridge \
//     --topic peer.telemetry.v1 --group-id peer-bridge --influx-database peer   (password: $PEER_BRIDGE_MQTT_PASSWORD)
import { InfluxDB, Point } from '@influxdata/influxdb-client'
import { Kafka, Partitioners } from 'kafkajs'
import mqtt from 'mqtt'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { z } from 'zod'
import { EXIT } from '../../core/lifecycle.js'
import { decodeTelemetry, sampleTime, type TelemetryEnvelope } from '../../core/telemetry/envelope.js'

const configSchema = z.strictObject({
  mqttUrl: z.url(),
  mqttUsername: z.string().min(1),
  mqttPassword: z.string().min(1),
  kafkaBrokers: z.string().min(1),
  topic: z.string().min(1),
  groupId: z.string().min(1),
  influxUrl: z.url(),
  influxDatabase: z.string().min(1),
  drainTimeoutMs: z.coerce.number().int().positive(),
})
type BridgeConfig = z.output<typeof configSchema>

const log = pino({ name: 'naive-bridge', base: { pid: process.pid } })

function readConfig(): BridgeConfig {
  const { values } = parseArgs({
    strict: true, // an unknown option is an error, not a silently ignored typo
    options: {
      'mqtt-url': { type: 'string', default: 'mqtt://127.0.0.1:19883' },
      'mqtt-username': { type: 'string', default: 'peer-bridge' },
      'kafka-brokers': { type: 'string', default: '127.0.0.1:19092' },
      topic: { type: 'string', default: 'peer.telemetry.v1' },
      'group-id': { type: 'string', default: 'peer-bridge' },
      'influx-url': { type: 'string', default: 'http://127.0.0.1:18086' },
      'influx-database': { type: 'string', default: 'peer' },
      'drain-timeout-ms': { type: 'string', default: '60000' },
    },
  })
  return configSchema.parse({
    mqttUrl: values['mqtt-url'],
    mqttUsername: values['mqtt-username'],
    mqttPassword: process.env.PEER_BRIDGE_MQTT_PASSWORD,
    kafkaBrokers: values['kafka-brokers'],
    topic: values.topic,
    groupId: values['group-id'],
    influxUrl: values['influx-url'],
    influxDatabase: values['influx-database'],
    drainTimeoutMs: values['drain-timeout-ms'],
  })
}

/** One point per reading time, a field per metric: the same series identity our storage writes. */
function toPoints(envelope: TelemetryEnvelope): Point[] {
  const byTime = new Map<number, Point>()
  for (const sample of envelope.samples) {
    const time = sampleTime(envelope, sample)
    let point = byTime.get(time)
    if (!point) {
      point = new Point('vitals').tag('device_id', envelope.deviceId).timestamp(time)
      byTime.set(time, point)
    }
    point.floatField(sample.metric, sample.value)
  }
  return [...byTime.values()]
}

async function main(config: BridgeConfig): Promise<void> {
  const kafka = new Kafka({ clientId: 'naive-bridge', brokers: config.kafkaBrokers.split(',') })
  // DefaultPartitioner is kafkajs 2's default; naming it only silences its start-up warning.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  const consumer = kafka.consumer({ groupId: config.groupId })
  const admin = kafka.admin()
  const writeApi = new InfluxDB({ url: config.influxUrl, token: '' }).getWriteApi(
    '',
    `${config.influxDatabase}/autogen`,
    'ms',
  )
  const counts = { received: 0, produced: 0, produceFailed: 0, consumed: 0, decodeFailed: 0 }
  let stopping = false

  // MQTT → Kafka first: a restarted bridge takes readings again at once, whatever its consumer
  // is doing (kafkajs' consumer.run() only returns after the group join).
  await Promise.all([producer.connect(), admin.connect()])
  const inFlight = new Set<Promise<void>>()
  const client = mqtt.connect(config.mqttUrl, {
    username: config.mqttUsername,
    password: config.mqttPassword,
  })
  client.on('error', (err) => log.error({ err }, 'mqtt error'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
  client.on('message', (topic, payload) => {
    counts.received += 1
    const deviceId = topic.split('/')[1]
    const sending = producer
      .send({ topic: config.topic, messages: [{ key: deviceId, value: payload }] })
      .then(
        () => void (counts.produced += 1),
        (err: unknown) => {
          counts.produceFailed += 1
          log.error({ err, deviceId }, 'kafka send failed')
        },
      )
    inFlight.add(sending)
    void sending.finally(() => inFlight.delete(sending))
  })
  await new Promise<void>((resolve, reject) =>
    client.once('connect', () => {
      client.subscribe('devices/+/telemetry', { qos: 1 }, (err, granted) => {
        if (err) reject(err)
        else if (granted?.some((g) => g.qos === 128)) reject(new Error('subscription refused by the broker'))
        else resolve()
      })
    }),
  )
  log.info({ topic: config.topic, groupId: config.groupId, database: config.influxDatabase }, 'bridge ready')

  // Kafka → InfluxDB. The topic is created just before the bridge first starts, so "from the
  // beginning" only means "do not skip what was produced before this group first joined".
  await consumer.connect()
  await consumer.subscribe({ topic: config.topic, fromBeginning: true })
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    log.info({ memberId: payload.memberId }, 'consumer joined'),
  )
  try {
    await consumer.run({
      // writePoints only buffers: kafkajs commits this batch's offsets as soon as the handler
      // returns, while the points wait in the client for up to 1000 lines or 60 s.
      eachMessage: ({ message }) => {
        counts.consumed += 1
        const decoded = message.value ? decodeTelemetry(message.value) : undefined
        if (decoded?.ok) writeApi.writePoints(toPoints(decoded.value))
        else {
          counts.decodeFailed += 1
          log.warn(
            { reason: decoded?.error.reason ?? 'empty', key: message.key?.toString() },
            'undecodable telemetry',
          )
        }
        return Promise.resolve()
      },
    })
  } catch (err) {
    if (!stopping) throw err // a SIGTERM during the group join ends the join; shutdown goes on
  }

  /** Consumer lag is zero when the group's committed offsets reached every partition's end. */
  async function caughtUp(): Promise<boolean> {
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(config.topic),
      admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] }),
    ])
    return ends.every((end) => {
      const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1'
      return Number(end.high) <= Math.max(0, Number(done))
    })
  }

  async function shutdown(signal: string): Promise<void> {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    const deadline = Date.now() + config.drainTimeoutMs
    try {
      await client.endAsync()
      await Promise.allSettled(inFlight)
      while (!(await caughtUp()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
      await consumer.disconnect()
      await writeApi.close()
      await producer.disconnect()
      await admin.disconnect()
      log.info(counts, 'bridge stopped')
      process.exit(0)
    } catch (err) {
      log.error({ err, counts }, 'shutdown failed')
      process.exit(1)
    }
  }
}

let config: BridgeConfig
try {
  config = readConfig()
} catch (err) {
  log.fatal({ err }, 'invalid configuration')
  process.exit(EXIT.config)
}
main(config).catch((err: unknown) => {
  log.fatal({ err }, 'bridge failed')
  process.exit(EXIT.failure)
})
