// The one place that loads node-rdkafka (a native addon, CommonJS): every other module uses
// the ports in this folder, so swapping the client is a change to core/kafka only.
import Kafka from 'node-rdkafka'
import type { KafkaConfig } from '../config/shared.js'

export { Kafka }
export type {
  LibrdKafkaError,
  Message as RdMessage,
  MessageHeader as RdHeader,
  DeliveryReport as RdDeliveryReport,
  TopicPartitionOffset,
  Metadata,
} from 'node-rdkafka'

export const RD_ERRORS = {
  queueFull: -184,
  messageTimedOut: -192,
  topicAlreadyExists: 36,
  partitionEof: -191,
  timedOut: -185,
  /** ERR__FATAL: the client raised a fatal error; the real cause is in the error event. */
  fatal: -150,
} as const

export type RdConfigValue = string | number | boolean

/** Common librdkafka settings from the shared config; `librdkafka` overrides are applied last. */
export function baseRdConfig(config: KafkaConfig, clientId: string): Record<string, RdConfigValue> {
  return {
    'metadata.broker.list': config.brokers,
    'client.id': clientId,
    // Fail fast on a dead broker address in logs instead of retrying silently forever.
    'socket.connection.setup.timeout.ms': 10_000,
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 5_000,
    'log.connection.close': false,
  }
}

/**
 * The default topic config of every producer: keys are placed by Java's murmur2
 * (`murmur2_random`, random for a null key, as Java does) instead of librdkafka's CRC32 default,
 * so Kafka Streams, Connect and Java services co-partition with us (ADR 0014,
 * core/kafka/murmur2.ts). It is a topic property: node-rdkafka passes the producer's second
 * constructor argument as librdkafka's default topic config, which replaces one set globally.
 */
export const PRODUCER_TOPIC_CONFIG: Readonly<Record<string, RdConfigValue>> = {
  partitioner: 'murmur2_random',
}

export function withOverrides(
  config: Record<string, RdConfigValue>,
  overrides: Readonly<Record<string, RdConfigValue>>,
): Record<string, RdConfigValue> {
  return { ...config, ...overrides }
}

export function isRdError(err: unknown): err is { code: number; message: string; isRetriable?: boolean } {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number'
}
