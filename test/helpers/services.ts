import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { influxSchema, kafkaSchema, type InfluxConfig, type KafkaConfig } from '../../core/config/shared.js'

/** The local stack's Kafka, as every process sees it by default (overridable like any config). */
export const testKafka: KafkaConfig = kafkaSchema.parse({
  brokers: process.env.PULSEWIRE__KAFKA__BROKERS ?? '127.0.0.1:19092',
})

export const testInflux: InfluxConfig = influxSchema.parse({
  url: process.env.PULSEWIRE__INFLUX__URL ?? 'http://127.0.0.1:18086',
})

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

/** Names unique per test run, so runs never see each other's topics, groups or databases. */
export const unique = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`

export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
