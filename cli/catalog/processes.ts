import type { Registry } from 'prom-client'
import type { z } from 'zod'
import { PROCESSES, type ProcessName } from '../../core/processes.js'
import { STORAGE_CHANNELS } from '../../core/influx/layout.js'
import { gatewayConfigSchema } from '../../gateway/config.js'
import { createGatewayMetrics } from '../../gateway/metrics.js'
import { alertingConfigSchema } from '../../processors/alerting/config.js'
import { createAlertingMetrics } from '../../processors/alerting/metrics.js'
import { ALERTING_INPUT_CHANNELS } from '../../processors/alerting/service.js'
import { sinksFileSchema } from '../../processors/sinks/config.js'
import { createSinkMetrics } from '../../processors/sinks/metrics.js'
import { SINK_TYPES } from '../../processors/sinks/index.js'
import { webConfigSchema } from '../../processors/web/config.js'
import { createWebMetrics } from '../../processors/web/metrics.js'
import { CHANNELS } from '../../core/telemetry/topics.js'
import { storageConfigSchema } from '../../processors/storage/config.js'
import { createStorageMetrics } from '../../processors/storage/metrics.js'

/**
 * What the catalog and the references know about each process, gathered from the process's own
 * definitions: its config schema (defaults come from parsing an empty file), its metrics factory,
 * and the consumer groups it runs. This is the one place that imports every process, which is why
 * it lives in cli/ (core may not import a process folder).
 */
export interface ConsumerGroup {
  /** The group id a default configuration uses, or a pattern for a group per configured sink. */
  groupId: { exact: string } | { prefix: string; of: string }
  channels: readonly string[]
  description: string
}

export interface ProcessFacts {
  name: ProcessName
  command: string
  owner: string
  description: string
  /** The top-level schema of its config file (`--config`), and the defaults it yields. */
  configSchema: z.ZodType
  metricsEndpoint: string
  groups: ConsumerGroup[]
  /** Registers every metric of the process, as its service does, into the given registry. */
  registerMetrics: (registry: Registry) => void
}

const endpoint = (http: { host: string; port: number }): string => `http://${http.host}:${http.port}/metrics`

export function processFacts(): ProcessFacts[] {
  const gateway = gatewayConfigSchema.parse({})
  const storage = storageConfigSchema.parse({})
  const alerting = alertingConfigSchema.parse({})
  // The sinks file needs at least one sink to parse; the shared settings do not depend on it.
  const sinks = sinksFileSchema.parse({ sinks: [null] })
  const web = webConfigSchema.parse({})
  const sinkTypes = SINK_TYPES.map((s) => s.type).join(', ')
  return [
    {
      name: 'gateway',
      ...PROCESSES.gateway,
      configSchema: gatewayConfigSchema,
      metricsEndpoint: endpoint(gateway.http),
      groups: [],
      registerMetrics: (registry) => void createGatewayMetrics(registry),
    },
    {
      name: 'storage',
      ...PROCESSES.storage,
      configSchema: storageConfigSchema,
      metricsEndpoint: endpoint(storage.http),
      groups: [
        {
          groupId: { exact: storage.groupId },
          channels: STORAGE_CHANNELS,
          description: 'Writes each record to InfluxDB; commits offsets after the write.',
        },
      ],
      registerMetrics: (registry) => void createStorageMetrics(registry),
    },
    {
      name: 'alerting',
      ...PROCESSES.alerting,
      configSchema: alertingConfigSchema,
      metricsEndpoint: endpoint(alerting.http),
      groups: [
        {
          groupId: { exact: alerting.groupId },
          channels: ALERTING_INPUT_CHANNELS,
          description:
            'Evaluates the rules; offsets are committed in the transaction that writes the alerts.',
        },
      ],
      registerMetrics: (registry) => void createAlertingMetrics(registry),
    },
    {
      name: 'alerts',
      ...PROCESSES.alerts,
      configSchema: sinksFileSchema,
      metricsEndpoint: endpoint(sinks.http),
      groups: [
        {
          groupId: { prefix: sinks.groupPrefix, of: 'the sink name' },
          channels: [sinks.channel],
          description: `One group per configured sink (${sinkTypes}); commits after delivery or dead letter.`,
        },
      ],
      registerMetrics: (registry) => void createSinkMetrics(registry),
    },
    {
      name: 'web',
      ...PROCESSES.web,
      configSchema: webConfigSchema,
      metricsEndpoint: endpoint(web.http),
      groups: [
        {
          groupId: { exact: `${web.consumerGroup}-alerts` },
          channels: [CHANNELS.alertEvents],
          description:
            "Rebuilds the active alarms from the channel's beginning at each start (assigned, every partition).",
        },
        {
          groupId: { exact: `${web.consumerGroup}-tap` },
          channels: [CHANNELS.vitals, CHANNELS.environment],
          description:
            'Telemetry tap from the end: latest reading and a short trend per device, no history replay.',
        },
      ],
      registerMetrics: (registry) => void createWebMetrics(registry),
    },
  ]
}

/** The group id a receive operation names: the default one, or `<prefix>{name}`. */
export const groupIdText = (group: ConsumerGroup): string =>
  'exact' in group.groupId ? group.groupId.exact : `${group.groupId.prefix}{${group.groupId.of}}`
