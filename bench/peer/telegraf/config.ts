import { pulsewire } from '../../../proto/gen/pulsewire.js'
import { METRICS, type MetricName } from '../../../core/telemetry/metric-registry.js'
import { DEVICE_TOPIC_ROOT } from '../../../core/telemetry/mqtt-topics.js'

/** The measurement every reading lands in, as the naive peer writes it. */
export const TELEGRAF_MEASUREMENT = 'vitals'
/** Kafka 4.x dropped the protocol versions sarama's default speaks to consumer groups. */
export const TELEGRAF_KAFKA_VERSION = '3.9.0'
/** Telegraf's agent default `flush_interval` (10 s). */
export const TELEGRAF_DEFAULT_FLUSH_MS = 10_000

/**
 * How the agents are set. `defaults`: Telegraf's and Mosquitto's stock settings (what a first
 * deployment runs; it loses readings at 500 msg/s, README "Measured"). `tuned`: what a team that
 * needs readings visible within a second and no loss under load sets after reading the docs —
 * a short flush, larger batches and buffers, and a window of undelivered messages wide enough
 * that Mosquitto never has to queue past its limit for the agent.
 */
export type TelegrafTuning = 'defaults' | 'tuned'

export const TELEGRAF_TUNED = {
  /** Each agent writes at least this often: two hops stay well inside the 1 s visibility SLO. */
  flushMs: 200,
  /** A full batch is written at once, without waiting for the flush (Telegraf's early flush). */
  metricBatchSize: 5_000,
  /** Points held per output while it cannot write (Kafka or InfluxDB slow or down) before dropping. */
  metricBufferLimit: 500_000,
  /** MQTT messages / Kafka records read but not yet written by an output (Telegraf's back-pressure). */
  maxUndelivered: 10_000,
} as const

/** The flush interval each agent runs with. */
export const telegrafFlushMs = (tuning: TelegrafTuning): number =>
  tuning === 'tuned' ? TELEGRAF_TUNED.flushMs : TELEGRAF_DEFAULT_FLUSH_MS

/**
 * Metric enum number → our field name (core/telemetry/metric-registry.ts). The xpath protobuf
 * document renders an enum as its number, so processors.enum maps it.
 */
export function metricFieldNames(): Record<string, MetricName> {
  const names: Record<string, MetricName> = {}
  for (const [key, number] of Object.entries(pulsewire.telemetry.v1.Metric)) {
    if (typeof number !== 'number' || !key.startsWith('METRIC_')) continue
    const field = key.slice('METRIC_'.length).toLowerCase()
    if (field in METRICS) names[String(number)] = field as MetricName
  }
  return names
}

const str = (value: string): string => JSON.stringify(value)
const list = (values: readonly string[]): string => `[${values.map(str).join(', ')}]`

/** The agent table both configs share: no `host` tag (our layout has only device_id), then the tuning. */
function agent(tuning: TelegrafTuning): string[] {
  const tuned =
    tuning === 'tuned'
      ? [
          `  flush_interval = "${TELEGRAF_TUNED.flushMs}ms"`,
          '  flush_jitter = "0s"',
          `  metric_batch_size = ${TELEGRAF_TUNED.metricBatchSize}`,
          `  metric_buffer_limit = ${TELEGRAF_TUNED.metricBufferLimit}`,
        ]
      : []
  return ['[agent]', '  omit_hostname = true', ...tuned, '']
}

/** Telegraf's own back-pressure window on a consuming input (default 1000). */
const undelivered = (tuning: TelegrafTuning): string[] =>
  tuning === 'tuned' ? [`  max_undelivered_messages = ${TELEGRAF_TUNED.maxUndelivered}`] : []

export interface EdgeConfigOptions {
  mqttUrl: string
  username: string
  /** Read from the environment by Telegraf (`${MQTT_PASSWORD}`), never written to the file. */
  passwordEnv: string
  clientId: string
  protoFile: string
  brokers: string
  topic: string
  tuning: TelegrafTuning
}

/**
 * Agent 1, "telegraf-edge": Mosquitto → Kafka. Each sample becomes a point (measurement vitals,
 * tag device_id, field seq, field <metric> = value, time = the sample's ts_ms), serialized as
 * line protocol, one Kafka record per point, keyed by device id.
 */
export function edgeConfig(options: EdgeConfigOptions): string {
  const enumMap = Object.entries(metricFieldNames()).map(([n, name]) => `      ${str(n)} = ${str(name)}`)
  return [
    ...agent(options.tuning),
    '[[inputs.mqtt_consumer]]',
    `  servers = ${list([options.mqttUrl])}`,
    `  topics = ${list([`${DEVICE_TOPIC_ROOT}/+/telemetry`])}`,
    // QoS 1 with a persistent session: Mosquitto keeps the queue while the agent is down, and
    // Telegraf acknowledges a message only once its metrics are delivered to an output.
    '  qos = 1',
    '  persistent_session = true',
    `  client_id = ${str(options.clientId)}`,
    `  username = ${str(options.username)}`,
    `  password = "\${${options.passwordEnv}}"`,
    ...undelivered(options.tuning),
    // Otherwise every point gets a `topic` tag: not our series layout.
    '  topic_tag = ""',
    '  data_format = "xpath_protobuf"',
    `  xpath_protobuf_files = ${list([options.protoFile])}`,
    '  xpath_protobuf_type = "pulsewire.telemetry.v1.Telemetry"',
    '  [[inputs.mqtt_consumer.xpath]]',
    '    metric_selection = "//samples"',
    `    metric_name = "string('${TELEGRAF_MEASUREMENT}')"`,
    '    timestamp = "ts_ms"',
    '    timestamp_format = "unix_ms"',
    '    [inputs.mqtt_consumer.xpath.tags]',
    '      device_id = "/device_id"',
    '      metric = "metric"',
    '    [inputs.mqtt_consumer.xpath.fields_int]',
    '      seq = "/seq"',
    '    [inputs.mqtt_consumer.xpath.fields]',
    '      value = "number(value)"',
    '',
    // The metric tag (an enum number) → our field name, then the tag becomes the field's name.
    '[[processors.enum]]',
    '  order = 1',
    '  [[processors.enum.mapping]]',
    '    tag = "metric"',
    '    [processors.enum.mapping.value_mappings]',
    ...enumMap,
    '',
    '[[processors.pivot]]',
    '  order = 2',
    '  tag_key = "metric"',
    '  value_key = "value"',
    '',
    '[[outputs.kafka]]',
    `  brokers = ${list(options.brokers.split(','))}`,
    `  topic = ${str(options.topic)}`,
    '  topic_tag = ""',
    // The record key: the load tester's tap (and Kafka's partitioning) go by device id.
    '  routing_tag = "device_id"',
    // All in-sync replicas, as our gateway's producer.
    '  required_acks = -1',
    `  version = ${str(TELEGRAF_KAFKA_VERSION)}`,
    '  data_format = "influx"',
    '',
  ].join('\n')
}

export interface StoreConfigOptions {
  brokers: string
  topic: string
  groupId: string
  influxUrl: string
  database: string
  tuning: TelegrafTuning
}

/** Agent 2, "telegraf-store": Kafka → InfluxDB 1.8, the line protocol stored as it is. */
export function storeConfig(options: StoreConfigOptions): string {
  return [
    ...agent(options.tuning),
    '[[inputs.kafka_consumer]]',
    `  brokers = ${list(options.brokers.split(','))}`,
    `  topics = ${list([options.topic])}`,
    `  consumer_group = ${str(options.groupId)}`,
    ...undelivered(options.tuning),
    `  version = ${str(TELEGRAF_KAFKA_VERSION)}`,
    '  data_format = "influx"',
    '',
    '[[outputs.influxdb]]',
    `  urls = ${list([options.influxUrl])}`,
    `  database = ${str(options.database)}`,
    // The target creates the database itself, before the agent starts.
    '  skip_database_creation = true',
    '',
  ].join('\n')
}
