import { describe, expect, it } from 'vitest'
import {
  edgeConfig,
  metricFieldNames,
  storeConfig,
  telegrafFlushMs,
  TELEGRAF_TUNED,
} from '../../../../bench/peer/telegraf/config.js'
import { METRICS } from '../../../../core/telemetry/metric-registry.js'

const edge = edgeConfig({
  mqttUrl: 'tcp://127.0.0.1:19884',
  username: 'peer-bridge',
  passwordEnv: 'PEER_MQTT_PASSWORD',
  clientId: 'telegraf-edge-run1',
  protoFile: '/repo/proto/pulsewire/telemetry/v1/telemetry.proto',
  brokers: '127.0.0.1:19092,127.0.0.1:19093',
  topic: 'peer.telegraf.v1.run1',
  tuning: 'defaults',
})
const store = storeConfig({
  brokers: '127.0.0.1:19092',
  topic: 'peer.telegraf.v1.run1',
  groupId: 'peer-telegraf-run1',
  influxUrl: 'http://127.0.0.1:18086',
  database: 'peer_telegraf_run1',
  tuning: 'defaults',
})

/** The `key = value` lines of one TOML table, up to the next table header. */
function table(config: string, header: string): Record<string, string> {
  const lines = config.split('\n')
  const start = lines.findIndex((line) => line.trim() === header)
  expect(start, `${header} in config`).toBeGreaterThanOrEqual(0)
  const entries: Record<string, string> = {}
  for (const line of lines.slice(start + 1)) {
    if (line.trim().startsWith('[')) break
    const at = line.indexOf(' = ')
    if (at > 0) entries[line.slice(0, at).trim()] = line.slice(at + 3).trim()
  }
  return entries
}

describe('Telegraf peer configuration', () => {
  it('maps every metric enum number to our field name', () => {
    const names = metricFieldNames()
    expect(names['1']).toBe('heart_rate')
    expect(names['2']).toBe('spo2')
    expect(names['60']).toBe('battery_level')
    expect(names['0']).toBeUndefined()
    expect(Object.values(names).sort()).toEqual(Object.keys(METRICS).sort())
  })

  it('edge: QoS 1 persistent session on the device topics, the proto parser, no topic or host tag', () => {
    expect(table(edge, '[agent]')).toEqual({ omit_hostname: 'true' })
    const mqtt = table(edge, '[[inputs.mqtt_consumer]]')
    expect(mqtt).toMatchObject({
      servers: '["tcp://127.0.0.1:19884"]',
      topics: '["devices/+/telemetry"]',
      qos: '1',
      persistent_session: 'true',
      client_id: '"telegraf-edge-run1"',
      username: '"peer-bridge"',
      password: '"${PEER_MQTT_PASSWORD}"',
      topic_tag: '""',
      data_format: '"xpath_protobuf"',
      xpath_protobuf_files: '["/repo/proto/pulsewire/telemetry/v1/telemetry.proto"]',
      xpath_protobuf_type: '"pulsewire.telemetry.v1.Telemetry"',
    })
    expect(mqtt.max_undelivered_messages).toBeUndefined() // Telegraf's default, reported in the README
    expect(table(edge, '[[inputs.mqtt_consumer.xpath]]')).toEqual({
      metric_selection: '"//samples"',
      metric_name: `"string('vitals')"`,
      timestamp: '"ts_ms"',
      timestamp_format: '"unix_ms"',
    })
    expect(table(edge, '[inputs.mqtt_consumer.xpath.tags]')).toEqual({
      device_id: '"/device_id"',
      metric: '"metric"',
    })
    expect(table(edge, '[inputs.mqtt_consumer.xpath.fields_int]')).toEqual({ seq: '"/seq"' })
    expect(table(edge, '[inputs.mqtt_consumer.xpath.fields]')).toEqual({ value: '"number(value)"' })
    expect(edge).not.toContain('secret')
  })

  it('edge: the metric tag becomes the field name, enum first, then pivot', () => {
    expect(table(edge, '[[processors.enum]]')).toEqual({ order: '1' })
    expect(table(edge, '[[processors.enum.mapping]]')).toEqual({ tag: '"metric"' })
    const mapping = table(edge, '[processors.enum.mapping.value_mappings]')
    expect(mapping['"1"']).toBe('"heart_rate"')
    expect(Object.keys(mapping)).toHaveLength(Object.keys(METRICS).length)
    expect(table(edge, '[[processors.pivot]]')).toEqual({
      order: '2',
      tag_key: '"metric"',
      value_key: '"value"',
    })
  })

  it('edge: all-replica acks to the run topic, keyed by device id, line protocol', () => {
    expect(table(edge, '[[outputs.kafka]]')).toEqual({
      brokers: '["127.0.0.1:19092", "127.0.0.1:19093"]',
      topic: '"peer.telegraf.v1.run1"',
      topic_tag: '""',
      routing_tag: '"device_id"',
      required_acks: '-1',
      version: '"3.9.0"',
      data_format: '"influx"',
    })
  })

  it('store: its own group on the run topic (Kafka 4 protocol) into the run database', () => {
    expect(table(store, '[agent]')).toEqual({ omit_hostname: 'true' })
    expect(table(store, '[[inputs.kafka_consumer]]')).toEqual({
      brokers: '["127.0.0.1:19092"]',
      topics: '["peer.telegraf.v1.run1"]',
      consumer_group: '"peer-telegraf-run1"',
      version: '"3.9.0"',
      data_format: '"influx"',
    })
    expect(table(store, '[[outputs.influxdb]]')).toEqual({
      urls: '["http://127.0.0.1:18086"]',
      database: '"peer_telegraf_run1"',
      skip_database_creation: 'true',
    })
  })

  it('tuned: short flushes, large batches and buffers, a wide undelivered window on both inputs', () => {
    const common = { brokers: '127.0.0.1:19092', topic: 't', tuning: 'tuned' as const }
    const tunedEdge = edgeConfig({
      ...common,
      mqttUrl: 'tcp://127.0.0.1:19884',
      username: 'u',
      passwordEnv: 'P',
      clientId: 'c',
      protoFile: '/p.proto',
    })
    const tunedStore = storeConfig({ ...common, groupId: 'g', influxUrl: 'http://x', database: 'd' })
    for (const config of [tunedEdge, tunedStore]) {
      expect(table(config, '[agent]')).toEqual({
        omit_hostname: 'true',
        flush_interval: `"${TELEGRAF_TUNED.flushMs}ms"`,
        flush_jitter: '"0s"',
        metric_batch_size: String(TELEGRAF_TUNED.metricBatchSize),
        metric_buffer_limit: String(TELEGRAF_TUNED.metricBufferLimit),
      })
    }
    expect(table(tunedEdge, '[[inputs.mqtt_consumer]]').max_undelivered_messages).toBe('10000')
    expect(table(tunedStore, '[[inputs.kafka_consumer]]').max_undelivered_messages).toBe('10000')
    // Two flushes (one per agent) must fit the 1 s visibility SLO with room for the writes.
    expect(2 * telegrafFlushMs('tuned')).toBeLessThan(1_000)
    expect(telegrafFlushMs('defaults')).toBe(10_000)
  })
})
