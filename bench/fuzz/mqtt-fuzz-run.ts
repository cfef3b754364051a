// The long form of the MQTT front fuzz: a real gateway in this process (real aedes on a real
// socket, real Kafka from the local stack), good devices publishing, hostile sockets next to them.
import mqtt from 'mqtt'
import { pino } from 'pino'
import { systemClock } from '../../core/clock.js'
import { createMetricsRegistry } from '../../core/metrics.js'
import { encodeTelemetry } from '../../core/telemetry/envelope.js'
import { gatewayConfigSchema } from '../../gateway/config.js'
import { createDeviceStore } from '../../gateway/device-store/device-store.js'
import { createGatewayService } from '../../gateway/service.js'
import { startGoodDevices, type GoodDeviceReport } from './good-devices.js'
import { runMqttFuzz, type MqttFuzzStats } from './mqtt-fuzz.js'
import type { FuzzIdentity } from './mqtt-packets.js'
import { startRssSampler } from './rss-sampler.js'

export interface MqttFuzzResult {
  seed: number
  seconds: number
  packetsPerSecond: number
  stats: MqttFuzzStats
  goodDevices: GoodDeviceReport
  /** Unhandled rejections and uncaught exceptions seen while the gateway ran. */
  faults: string[]
  gatewayServingAfter: boolean
  rss: { baselineBytes: number; maxBytes: number; endBytes: number }
}

export async function runMqttFuzzAgainstGateway(options: {
  seed: number
  packets: number
  concurrency: number
  goodDevices: number
  hugeBodyBytes: number
  payloads: readonly Buffer[]
  log: (line: string) => void
}): Promise<MqttFuzzResult> {
  const faults: string[] = []
  const onFault = (kind: string) => (error: unknown) =>
    faults.push(`${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  const onRejection = onFault('unhandledRejection')
  const onException = onFault('uncaughtException')
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)

  const run = `fzb-${Date.now().toString(36)}`
  const store = createDeviceStore()
  const enrol = (id: string): FuzzIdentity => ({
    id,
    secret: store.add(id, { type: 'bedside-monitor' }).secret,
  })
  const good = Array.from({ length: options.goodDevices }, (_, i) => enrol(`${run}-good-${i}`))
  const fuzzers = Array.from({ length: options.concurrency }, (_, i) => enrol(`${run}-fuzz-${i}`))
  const probe = enrol(`${run}-probe`)
  const config = gatewayConfigSchema.parse({
    mqtt: { port: 0, websocketPort: false },
    http: { port: 0 },
    kafka: { brokers: process.env.PULSEWIRE__KAFKA__BROKERS ?? '127.0.0.1:19092' },
    log: { level: 'silent' },
  })
  const service = createGatewayService({
    config,
    directory: store,
    logger: pino({ level: 'silent' }),
    metrics: createMetricsRegistry('gateway'),
    clock: systemClock,
  })
  for (const component of service.components) await component.start()
  const port = service.listeners.bound().find((l) => l.name === 'tcp')!.port
  const url = `mqtt://127.0.0.1:${port}`
  try {
    const devices = await startGoodDevices(url, good, { intervalMs: 20, ackTimeoutMs: 30_000 })
    const rss = startRssSampler()
    const started = Date.now()
    const payloads = [
      ...options.payloads,
      ...fuzzers.map((f, i) =>
        Buffer.from(
          encodeTelemetry({
            deviceId: f.id,
            bootId: 'fuzz',
            seq: i + 1,
            deviceTsMs: Date.now(),
            deviceType: 'bedside-monitor',
            samples: [{ metric: 'spo2', value: 97, ucum: '%', quality: 'valid', tsMs: 0, backfill: false }],
          }),
        ),
      ),
    ]
    const stats = await runMqttFuzz({
      host: '127.0.0.1',
      port,
      seed: options.seed,
      packets: options.packets,
      concurrency: options.concurrency,
      identities: fuzzers,
      payloads,
      hugeBodyBytes: options.hugeBodyBytes,
      sessionTimeoutMs: 5_000,
      quietMs: 200,
      onProgress: (s) => {
        const seconds = (Date.now() - started) / 1000
        options.log(
          `  mqtt: ${s.packets.toLocaleString('en-US')} packets in ${s.sessions} sessions, ` +
            `${Math.round(s.packets / seconds)} packets/s, RSS ${(rss.maxBytes() / 2 ** 20).toFixed(0)} MiB max`,
        )
      },
    })
    const goodDevices = await devices.stop()
    const seconds = (Date.now() - started) / 1000
    const memory = rss.stop()
    const gatewayServingAfter = await servesAPublish(url, probe)
    return {
      seed: options.seed,
      seconds,
      packetsPerSecond: Math.round(stats.packets / seconds),
      stats,
      goodDevices,
      faults,
      gatewayServingAfter,
      rss: memory,
    }
  } finally {
    for (const component of [...service.components].reverse()) await component.stop()
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onException)
  }
}

/** A fresh device connects and gets the PUBACK of one reading: the gateway is still serving. */
async function servesAPublish(url: string, probe: FuzzIdentity): Promise<boolean> {
  const client = mqtt.connect(url, {
    clientId: probe.id,
    username: probe.id,
    password: probe.secret,
    reconnectPeriod: 0,
  })
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
    })
    const payload = encodeTelemetry({
      deviceId: probe.id,
      bootId: 'probe',
      seq: 1,
      deviceTsMs: Date.now(),
      deviceType: 'bedside-monitor',
      samples: [
        { metric: 'heart_rate', value: 70, ucum: '/min', quality: 'valid', tsMs: 0, backfill: false },
      ],
    })
    await client.publishAsync(`devices/${probe.id}/telemetry`, Buffer.from(payload), { qos: 1 })
    return true
  } catch {
    return false
  } finally {
    await client.endAsync(true)
  }
}
