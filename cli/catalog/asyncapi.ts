import { stringify } from 'yaml'
import { kafkaSchema } from '../../core/config/shared.js'
import { PROCESSES } from '../../core/processes.js'
import { channelTopicSpecs } from '../../core/kafka/topic-specs.js'
import { HEADERS } from '../../core/telemetry/headers.js'
import { z } from 'zod'
import { mqttAlertCommandSchema } from '../../core/alerts/alert-command.js'
import { ALERT_COMMAND_TOPIC, DEVICE_ID_PATTERN, deviceTopic } from '../../core/telemetry/mqtt-topics.js'
import {
  CHANNELS,
  CHANNEL_SPECS,
  type ChannelPayload,
  type ChannelSpec,
} from '../../core/telemetry/topics.js'
import { fleetFileSchema } from '../../devices-sim/fleet/fleet-file.js'
import { gatewayConfigSchema } from '../../gateway/config.js'
import { groupIdText, processFacts, type ProcessFacts } from './processes.js'
import { loadProtoCatalog, protoSchemaRef, reachableTypes, type JsonSchema } from './protobuf-json-schema.js'

/**
 * The service catalog as an AsyncAPI 3.0.0 document (`pulsewire catalog`), built only from the
 * code's own definitions: channel specs, .proto files, config defaults, process facts. Payloads are
 * JSON Schemas derived from the .proto sources (see protobuf-json-schema.ts for why not the
 * protobuf schema format). Output is deterministic: no timestamps, fixed order.
 */
export interface CatalogInput {
  repoRoot: string
  version: string
}

const KAFKA_BINDING = '0.5.0'
const MQTT_BINDING = '0.2.0'
const ref = (path: string): { $ref: string } => ({ $ref: path })
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** `vitals` for telemetry.vitals.v1: the CHANNELS key is the channel's id in the document. */
const CHANNEL_IDS = new Map<string, string>(Object.entries(CHANNELS).map(([id, name]) => [name, id]))
const channelId = (name: string): string => {
  const id = CHANNEL_IDS.get(name)
  if (!id) throw new Error(`channel ${name} is not in CHANNELS (core/telemetry/topics.ts)`)
  return id
}

const deviceKey: JsonSchema = {
  type: 'string',
  pattern: DEVICE_ID_PATTERN.source,
  description: 'The device id: every channel is keyed by it, so one device’s records stay in order.',
}

function topicConfiguration(config: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config).sort(([a], [b]) => a.localeCompare(b))) {
    out[key] = key === 'cleanup.policy' ? value.split(',') : /^-?\d+$/.test(value) ? Number(value) : value
  }
  return out
}

function payloadSchema(payload: ChannelPayload): JsonSchema {
  if (payload.protobuf) return ref(protoSchemaRef(payload.protobuf))
  const raw = payload.contentType === 'application/octet-stream'
  return raw
    ? { type: 'string', format: 'binary', description: payload.description }
    : { type: 'object', description: payload.description }
}

function headersSchema(payload: ChannelPayload): JsonSchema {
  const properties = Object.fromEntries(payload.headers.map((h) => [HEADERS[h], { type: 'string' }]))
  return { type: 'object', properties }
}

function kafkaMessage(payload: ChannelPayload, protoFile: (name: string) => string): JsonSchema {
  return {
    name: payload.message,
    title: payload.message,
    summary: payload.description,
    contentType: payload.contentType,
    ...(payload.headers.length > 0 ? { headers: headersSchema(payload) } : {}),
    payload: payloadSchema(payload),
    bindings: { kafka: { key: deviceKey, bindingVersion: KAFKA_BINDING } },
    ...(payload.protobuf
      ? { 'x-protobuf-message': payload.protobuf, 'x-protobuf-file': protoFile(payload.protobuf) }
      : {}),
  }
}

function processExtensions(process: ProcessFacts): Record<string, string> {
  return {
    'x-pulsewire-process': process.name,
    'x-command': process.command,
    'x-owner': process.owner,
    'x-metrics-endpoint': process.metricsEndpoint,
  }
}

function kafkaChannel(spec: ChannelSpec): JsonSchema {
  // The durability every process creates the channel with by default (kafka.topics).
  const [topic] = channelTopicSpecs([spec])
  return {
    address: spec.name,
    title: spec.name,
    description: spec.description,
    servers: [ref('#/servers/kafka')],
    messages: { [spec.payload.message]: ref(`#/components/messages/${spec.payload.message}`) },
    bindings: {
      kafka: {
        topic: spec.name,
        partitions: spec.partitions,
        ...(topic?.replicationFactor ? { replicas: topic.replicationFactor } : {}),
        topicConfiguration: topicConfiguration(topic?.config ?? spec.config),
        bindingVersion: KAFKA_BINDING,
      },
    },
    'x-owner': spec.producedBy.map((name) => PROCESSES[name].owner).join(', '),
  }
}

export function buildCatalog(input: CatalogInput): Record<string, unknown> {
  const processes = processFacts()
  const byName = new Map(processes.map((p) => [p.name, p]))
  const protos = loadProtoCatalog(input.repoRoot)
  const brokers = kafkaSchema.parse({}).brokers
  const mqtt = gatewayConfigSchema.parse({}).mqtt
  const deviceQos = fleetFileSchema.shape.mqtt.parse(undefined).qos

  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  const protoRoots = new Set<string>()

  for (const spec of CHANNEL_SPECS) {
    const id = channelId(spec.name)
    channels[id] = kafkaChannel(spec)
    messages[spec.payload.message] = kafkaMessage(spec.payload, protos.fileOf)
    if (spec.payload.protobuf) protoRoots.add(spec.payload.protobuf)
    for (const producer of spec.producedBy) {
      const facts = byName.get(producer)
      if (!facts) throw new Error(`${spec.name}: producer ${producer} has no process facts`)
      operations[`${producer}Send${capital(id)}`] = {
        action: 'send',
        channel: ref(`#/channels/${id}`),
        summary: `${producer} produces to ${spec.name}.`,
        ...processExtensions(facts),
      }
    }
  }
  for (const process of processes) {
    for (const group of process.groups) {
      for (const channel of group.channels) {
        const id = channelId(channel)
        const groupId = groupIdText(group)
        const groupSchema =
          'exact' in group.groupId
            ? { type: 'string', enum: [group.groupId.exact] }
            : {
                type: 'string',
                pattern: `^${group.groupId.prefix}`,
                description: `<prefix>{${group.groupId.of}}`,
              }
        operations[`${process.name}Receive${capital(id)}`] = {
          action: 'receive',
          channel: ref(`#/channels/${id}`),
          summary: `Consumer group ${groupId} reads ${channel}.`,
          description: group.description,
          bindings: { kafka: { groupId: groupSchema, bindingVersion: KAFKA_BINDING } },
          ...processExtensions(process),
          'x-consumer-group': groupId,
        }
      }
    }
  }

  // Devices publish telemetry over MQTT; the gateway receives it there and produces it to Kafka.
  const telemetryPayload = CHANNEL_SPECS.find((s) => s.name === CHANNELS.vitals)?.payload
  if (!telemetryPayload?.protobuf) throw new Error('the vitals channel has no protobuf payload')
  channels.deviceTelemetry = {
    address: deviceTopic('{deviceId}', 'telemetry'),
    title: deviceTopic('{deviceId}', 'telemetry'),
    description: 'What a device publishes: one Telemetry message per PUBLISH (QoS 1: PUBACK after Kafka).',
    servers: [ref('#/servers/mqtt')],
    parameters: { deviceId: { description: `The device id (MQTT client id), ${DEVICE_ID_PATTERN.source}.` } },
    messages: { DeviceTelemetry: ref('#/components/messages/DeviceTelemetry') },
  }
  messages.DeviceTelemetry = {
    name: 'DeviceTelemetry',
    title: 'DeviceTelemetry',
    summary: 'Protobuf telemetry as published by a device.',
    contentType: telemetryPayload.contentType,
    payload: ref(protoSchemaRef(telemetryPayload.protobuf)),
    'x-protobuf-message': telemetryPayload.protobuf,
    'x-protobuf-file': protos.fileOf(telemetryPayload.protobuf),
  }
  operations.devicesSendDeviceTelemetry = {
    action: 'send',
    channel: ref('#/channels/deviceTelemetry'),
    summary: 'Devices (and pulsewire sim) publish telemetry.',
    bindings: { mqtt: { qos: deviceQos, bindingVersion: MQTT_BINDING } },
  }
  const gateway = byName.get('gateway')
  if (!gateway) throw new Error('no gateway process facts')
  operations.gatewayReceiveDeviceTelemetry = {
    action: 'receive',
    channel: ref('#/channels/deviceTelemetry'),
    summary: 'The gateway authenticates, validates and forwards device telemetry to Kafka.',
    ...processExtensions(gateway),
  }

  // Clinician apps enrolled as alert-operator publish alarm commands; the gateway forwards them.
  channels.alertCommandsMqtt = {
    address: ALERT_COMMAND_TOPIC,
    title: ALERT_COMMAND_TOPIC,
    description:
      'Alarm commands of alert operators (role alert-operator); the gateway validates each and produces it to alerts.commands.v1 with the operator’s client id as who and its receive time as when (QoS 1: PUBACK after Kafka). No role may subscribe.',
    servers: [ref('#/servers/mqtt')],
    messages: { MqttAlertCommand: ref('#/components/messages/MqttAlertCommand') },
  }
  messages.MqttAlertCommand = {
    name: 'MqttAlertCommand',
    title: 'MqttAlertCommand',
    summary: 'JSON: {"command", "alertId", "reason"?, "durationMs"?, "commandId"?}; a "by" is ignored.',
    contentType: 'application/json',
    payload: z.toJSONSchema(mqttAlertCommandSchema),
  }
  operations.operatorsSendAlertCommandsMqtt = {
    action: 'send',
    channel: ref('#/channels/alertCommandsMqtt'),
    summary: 'Clinician apps (role alert-operator) acknowledge, silence and reset alarms.',
    bindings: { mqtt: { qos: 1, bindingVersion: MQTT_BINDING } },
  }
  operations.gatewayReceiveAlertCommandsMqtt = {
    action: 'receive',
    channel: ref('#/channels/alertCommandsMqtt'),
    summary: 'The gateway validates operator commands and forwards them to alerts.commands.v1.',
    ...processExtensions(gateway),
  }

  const schemas = Object.fromEntries(
    reachableTypes(protos, [...protoRoots]).map((name) => [name, protos.schemas.get(name)]),
  )
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Pulsewire',
      version: input.version,
      description:
        'Pulsewire’s channels, who produces and who consumes them. GENERATED by `pulsewire catalog` from ' +
        'core/telemetry/topics.ts, proto/pulsewire/**/*.proto and the process config defaults: do not edit, ' +
        'run `npm run docs:gen`.',
    },
    servers: {
      kafka: {
        host: brokers,
        protocol: 'kafka',
        description: 'The local stack’s Kafka (pulsewire stack up).',
      },
      mqtt: {
        host: `${mqtt.host}:${mqtt.port}`,
        protocol: 'mqtt',
        description: 'The gateway’s MQTT listener (pulsewire gateway).',
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  }
}

/** The catalog as YAML text, the form checked in as docs/catalog.asyncapi.yaml. */
export function renderCatalog(input: CatalogInput): string {
  const header = '# GENERATED by `pulsewire catalog` (npm run docs:gen). DO NOT EDIT.\n'
  return header + stringify(buildCatalog(input), { lineWidth: 0, aliasDuplicateObjects: false })
}
