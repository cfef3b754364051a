// Well-behaved devices publishing through a fuzz run: each publish must be acknowledged and
// no connection may drop, whatever the hostile sockets next to them do.
import mqtt, { type MqttClient } from 'mqtt'
import { encodeTelemetry } from '../../core/telemetry/envelope.js'
import type { FuzzIdentity } from './mqtt-packets.js'

export interface GoodDeviceReport {
  devices: number
  published: number
  acked: number
  /** Publishes without a PUBACK within the ack timeout, or refused. */
  unacked: number
  disconnects: number
  errors: string[]
  maxAckMs: number
}

export interface GoodDevices {
  stop(): Promise<GoodDeviceReport>
}

const reading = (deviceId: string, seq: number): Buffer => {
  const now = Date.now()
  return Buffer.from(
    encodeTelemetry({
      deviceId,
      bootId: 'fuzz-good',
      seq,
      deviceTsMs: now,
      deviceType: 'bedside-monitor',
      samples: [
        {
          metric: 'heart_rate',
          value: 60 + (seq % 40),
          ucum: '/min',
          quality: 'valid',
          tsMs: now,
          backfill: false,
        },
      ],
    }),
  )
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no PUBACK within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** Connects every device (resolves once all have their CONNACK), then each publishes QoS 1 in a loop. */
export async function startGoodDevices(
  url: string,
  identities: readonly FuzzIdentity[],
  options: { intervalMs: number; ackTimeoutMs: number },
): Promise<GoodDevices> {
  const report: GoodDeviceReport = {
    devices: identities.length,
    published: 0,
    acked: 0,
    unacked: 0,
    disconnects: 0,
    errors: [],
    maxAckMs: 0,
  }
  let stopping = false
  const clients = await Promise.all(
    identities.map(
      (id) =>
        new Promise<MqttClient>((resolve, reject) => {
          const client = mqtt.connect(url, {
            clientId: id.id,
            username: id.id,
            password: id.secret,
            reconnectPeriod: 0,
            clean: true,
            keepalive: 30,
          })
          client.once('connect', () => {
            client.on('close', () => {
              if (!stopping) report.disconnects++
            })
            client.on('error', (err) => report.errors.push(`${id.id}: ${err.message}`))
            resolve(client)
          })
          client.once('error', reject)
        }),
    ),
  )
  const loops = clients.map(async (client, i) => {
    const id = identities[i]!.id
    for (let seq = 1; !stopping; seq++) {
      report.published++
      const started = Date.now()
      try {
        await withTimeout(
          client.publishAsync(`devices/${id}/telemetry`, reading(id, seq), { qos: 1 }),
          options.ackTimeoutMs,
        )
        report.acked++
        report.maxAckMs = Math.max(report.maxAckMs, Date.now() - started)
      } catch (err) {
        report.unacked++
        report.errors.push(`${id} seq ${seq}: ${err instanceof Error ? err.message : String(err)}`)
        return
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
    }
  })
  return {
    async stop() {
      stopping = true
      await Promise.all(loops)
      await Promise.all(clients.map((c) => c.endAsync()))
      return report
    },
  }
}
