import { hostname } from 'node:os'
import type { Aedes } from 'aedes'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Clock } from '../core/clock.js'
import { createObservabilityServer, type ObservabilityServer } from '../core/http.js'
import { createKafkaAdmin, fetchMetadata } from '../core/kafka/admin.js'
import { channelTopicSpecs } from '../core/kafka/topic-specs.js'
import { createKafkaProducer } from '../core/kafka/producer.js'
import { createRecoveringProducer, type RecoveringProducer } from '../core/kafka/recovering-producer.js'
import type { Component } from '../core/lifecycle.js'
import { CHANNEL_SPECS, CHANNELS } from '../core/telemetry/topics.js'
import { createAdmission } from './admission.js'
import { createAlertCommandIngest } from './alert-commands.js'
import type { DeviceDirectory } from './auth.js'
import { createGatewayBroker } from './broker.js'
import type { GatewayConfig } from './config.js'
import type { DisconnectCause } from './forward.js'
import { createIngest, type Ingest } from './ingest.js'
import { createDeviceQuota } from './device-quota.js'
import { createKeepalive } from './keepalive.js'
import { createListeners, type Listeners } from './listeners.js'
import { createGatewayMetrics } from './metrics.js'
import { createHeartbeats, type Heartbeats } from './heartbeats.js'
import { createQuotaGate } from './quota-gate.js'

export interface GatewayDeps {
  config: GatewayConfig
  directory: DeviceDirectory
  logger: Logger
  /** The prom-client registry the gateway's metrics live in. */
  metrics: Registry
  clock: Clock
  /** Told when the gateway cannot go on (a fatal producer error whose replacement never started). */
  onFatal?: (source: string, err: unknown) => void
}

export interface GatewayService {
  /** In start order; runService stops them in reverse: listeners, broker (drain), http, producer. */
  components: Component[]
  listeners: Listeners
  http: ObservabilityServer
  producer: RecoveringProducer
  ingest: Ingest
  heartbeats: Heartbeats
  /** The running aedes instance (after the broker component started), for tests and diagnostics. */
  broker(): Aedes | undefined
}

const GATEWAY_CHANNELS = new Set<string>([
  CHANNELS.vitals,
  CHANNELS.environment,
  CHANNELS.status,
  CHANNELS.dlq,
  CHANNELS.alertCommands,
])

/** The channels whose every partition gets a heartbeat: the ones a partition clock is kept for. */
const HEARTBEAT_CHANNELS = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status] as const

/** How long a graceful stop waits for its final heartbeats and disconnect records. */
const FINAL_RECORDS_WAIT_MS = 10_000

/** A refusing address (or the connection cap) is logged at most once a minute. */
const LOG_WINDOW_MS = 60_000

/** Builds the gateway's components; `main.ts` runs them, integration tests start them in-process. */
export function createGatewayService(deps: GatewayDeps): GatewayService {
  const { config, logger } = deps
  const metrics = createGatewayMetrics(deps.metrics)
  const producer = createRecoveringProducer({
    create: (onFatal) =>
      createKafkaProducer({
        kafka: config.kafka,
        clientId: `${config.kafka.clientId}-gateway`,
        logger,
        maxInFlight: config.producer.maxInFlight,
        maxWaiting: {
          maxRecords: config.producer.maxWaiting.records,
          maxBytes: config.producer.maxWaiting.bytes,
        },
        tuning: {
          'linger.ms': config.producer.lingerMs,
          'message.timeout.ms': config.producer.messageTimeoutMs,
          ...config.producer.librdkafka,
        },
        onFatal,
      }),
    logger,
    clock: deps.clock,
    retry: config.producer.recreate,
    onRecovery: (outcome) => metrics.producerRecoveries.inc({ outcome }),
    onGiveUp: (err) => deps.onFatal?.('kafka-producer', err),
  })
  const quota = createQuotaGate({
    quota: createDeviceQuota(config.limits, deps.clock),
    clock: deps.clock,
    metrics,
    logger,
  })
  const ingest = createIngest({
    producer,
    directory: deps.directory,
    limits: config.limits,
    dlq: config.dlq,
    maxWaiting: config.producer.maxWaiting,
    clock: deps.clock,
    metrics,
    logger,
    dlqQuota: (deviceId, reason) => quota.dlq(deviceId, reason),
  })
  const keepalive = createKeepalive(metrics)
  const admission = createAdmission({ ...config.limits, logWindowMs: LOG_WINDOW_MS }, deps.clock)
  // Source address of each connection, filled by the listeners, read by the broker's auth hook.
  const addresses = new WeakMap<object, string>()
  // Device id named by a verified client certificate, filled by the TLS listener, read at CONNECT.
  const certificateIdentities = new WeakMap<object, string>()
  const heartbeats = createHeartbeats({
    producer,
    channels: HEARTBEAT_CHANNELS,
    partitionCounts: async () => {
      const topics = await fetchMetadata(config.kafka, `${config.kafka.clientId}-gateway-metadata`, 10_000)
      return new Map(topics.map((t) => [t.name, t.partitions]))
    },
    gatewayId: config.heartbeat.gatewayId ?? `${config.kafka.clientId}-${hostname()}-${process.pid}`,
    intervalMs: config.heartbeat.intervalMs,
    metadataRefreshMs: config.heartbeat.metadataRefreshMs,
    maxWaitingRecords: config.producer.maxWaiting.records,
    clock: deps.clock,
    metrics,
    logger,
  })
  const heartbeatComponent: Component = config.heartbeat.enabled
    ? heartbeats
    : { name: 'heartbeats', start: () => Promise.resolve(), stop: () => Promise.resolve() }
  let broker: Aedes | undefined
  let closing = false
  // Set when the gateway starts closing its connections: their disconnect records say why.
  let shuttingDown = false
  const brokerComponent: Component = {
    name: 'mqtt-broker',
    async start() {
      broker = await createGatewayBroker({
        directory: deps.directory,
        ingest: refuseWhileClosing(
          ingest,
          () => closing,
          () => (shuttingDown ? { reason: 'gateway_shutdown', graceMs: config.shutdown.graceMs } : undefined),
        ),
        commands: createAlertCommandIngest({
          producer,
          clock: deps.clock,
          metrics,
          logger,
          closing: () => closing,
        }),
        metrics,
        logger,
        maxClientIdLength: config.mqtt.maxClientIdLength,
        quota,
        keepalive,
        clock: deps.clock,
        authAttempts: {
          failed: (conn) => admission.authFailed(addresses.get(conn)),
          succeeded: (conn) => admission.authSucceeded(addresses.get(conn)),
        },
        certificateIdentity: (conn) => certificateIdentities.get(conn),
      })
    },
    async stop() {
      // Finish what was accepted (each PUBACK still goes out), refuse anything newer, then disconnect.
      closing = true
      await ingest.drain()
      // Issue #9, graceful stop is not an outage: a final heartbeat per partition with the grace,
      // enqueued before any disconnect record, then every connection closed here is marked
      // gateway_shutdown; both are in Kafka before the producer stops (it stops after this).
      const finalHeartbeats = config.heartbeat.enabled
        ? heartbeats.finish(config.shutdown.graceMs)
        : undefined
      shuttingDown = true
      await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()))
      // Bounded: with Kafka gone they never deliver, and the producer's stop flush has its own bound.
      await within(deps.clock, FINAL_RECORDS_WAIT_MS, Promise.all([finalHeartbeats, ingest.drain()]))
      keepalive.stop()
    },
  }
  const listeners = createListeners(
    config.mqtt,
    config.limits,
    (stream, request) => {
      // Listeners start after the broker (component order), so it exists here.
      broker?.handle(stream, request)
    },
    { admission, metrics, logger, addresses, certificateIdentities, keepalive },
  )
  // Reasons stay generic: /readyz is unauthenticated, so it names no broker address (finding 7).
  const http = createObservabilityServer(config.http, deps.metrics, {
    kafka: async () => producer.unavailable() ?? ((await producer.ping(2_000)) ? undefined : 'not connected'),
    // The HTTP server starts before the listeners: ready means devices can connect (and a
    // stopping gateway is not).
    mqtt: () => (closing ? 'stopping' : listeners.bound().length > 0 ? undefined : 'not listening yet'),
  })
  const channels: Component = {
    name: 'channels',
    async start() {
      if (!config.channels.ensure) return
      const admin = createKafkaAdmin(config.kafka, `${config.kafka.clientId}-gateway-admin`)
      try {
        const channels = CHANNEL_SPECS.filter((spec) => GATEWAY_CHANNELS.has(spec.name))
        await admin.ensureTopics(channelTopicSpecs(channels, config.kafka.topics), { logger })
      } finally {
        admin.close()
      }
    },
    stop: () => Promise.resolve(),
  }
  return {
    // Heartbeats start once the channels exist and the producer is up, and stop before it closes.
    components: [channels, producer, heartbeatComponent, http, brokerComponent, listeners],
    listeners,
    http,
    producer,
    ingest,
    heartbeats,
    broker: () => broker,
  }
}

function refuseWhileClosing(
  ingest: Ingest,
  closing: () => boolean,
  shutdown: () => DisconnectCause | undefined,
): Ingest {
  const refuse = (): Promise<void> => Promise.reject(new Error('gateway shutting down'))
  return {
    ...ingest,
    // A device's own disconnect (or last will) while the gateway runs keeps its plain record.
    lifecycle: (deviceId, event, cause) =>
      ingest.lifecycle(deviceId, event, cause ?? (event === 'disconnected' ? shutdown() : undefined)),
    telemetry: (deviceId, topic, payload, signal) =>
      closing() ? refuse() : ingest.telemetry(deviceId, topic, payload, signal),
    status: (deviceId, payload, signal) => (closing() ? refuse() : ingest.status(deviceId, payload, signal)),
  }
}

/** Resolves when `work` settles or after `ms`, whichever comes first. */
async function within(clock: Clock, ms: number, work: Promise<unknown>): Promise<void> {
  const timer = new AbortController()
  try {
    await Promise.race([work.then(() => undefined), clock.sleep(ms, timer.signal)])
  } finally {
    timer.abort(new Error('done'))
  }
}
