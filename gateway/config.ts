import { z } from 'zod'
import { httpSchema, kafkaSchema, logSchema, shutdownSchema } from '../core/config/shared.js'
import { gatewayLimitsSchema } from './config-limits.js'

export const gatewayConfigSchema = z.strictObject({
  mqtt: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1').describe('Address the MQTT listeners bind to.'),
      tcp: z
        .boolean()
        .default(true)
        .describe('Plaintext MQTT over TCP on `port`; false turns it off (with `tls`: TLS only).'),
      port: z.number().int().min(0).max(65_535).default(1883).describe('MQTT over TCP.'),
      websocketPort: z
        .union([z.number().int().min(0).max(65_535), z.literal(false)])
        .default(8083)
        .describe('MQTT over WebSocket (path /mqtt) for browser clients; false disables it.'),
      tls: z
        .strictObject({
          port: z.number().int().min(0).max(65_535).default(8883),
          certFile: z.string().min(1).describe('PEM server certificate.'),
          keyFile: z.string().min(1).describe('PEM private key.'),
          caFile: z
            .string()
            .min(1)
            .optional()
            .describe(
              'PEM CA bundle that verifies client certificates (mTLS). With it, a client may present a certificate: one that does not verify closes the connection; a verified one whose subject CN equals the client id and an enrolled device authenticates it without a password.',
            ),
          requireClientCertificate: z
            .boolean()
            .default(false)
            .describe(
              'mTLS: refuse clients without a verified certificate (needs caFile); false: clients without one authenticate with their secret.',
            ),
        })
        .refine((tls) => !tls.requireClientCertificate || tls.caFile !== undefined, {
          message:
            'requireClientCertificate needs caFile: without a CA no client certificate can be verified',
          path: ['requireClientCertificate'],
        })
        .optional()
        .describe('MQTT over TLS; enabled when a certificate is configured.'),
      maxClientIdLength: z.number().int().min(23).max(256).default(64),
    })
    .refine((mqtt) => mqtt.tcp || mqtt.tls !== undefined || mqtt.websocketPort !== false, {
      message:
        'no MQTT listener: tcp is false, no tls is configured and websocketPort is false; enable at least one',
      path: ['tcp'],
    })
    .prefault({}),
  registry: z
    .strictObject({
      file: z
        .string()
        .min(1)
        .default('.pulsewire/devices.yaml')
        .describe('Device store file: device credentials and context (pulsewire devices …).'),
      reloadIntervalMs: z
        .number()
        .int()
        .positive()
        .max(1_000)
        .default(500)
        .describe(
          'How often a changed device store file is re-read. A revoked device (or one whose secret rotated) has its open connections closed within this delay, so at most 1 s.',
        ),
    })
    .prefault({}),
  limits: gatewayLimitsSchema.prefault({}),
  dlq: z
    .strictObject({
      oversizedKeepBytes: z
        .number()
        .int()
        .nonnegative()
        .max(65_536)
        .default(1_024)
        .describe(
          'An oversized payload (above limits.maxPayloadBytes) keeps only its first bytes in its DLQ record, with its original size in a header, so the record always fits the producer and the publish is acknowledged.',
        ),
    })
    .prefault({})
    .describe('Dead-letter records of refused payloads.'),
  kafka: kafkaSchema.prefault({}),
  channels: z
    .strictObject({
      ensure: z
        .boolean()
        .default(true)
        .describe(
          'Create missing channels and reconcile the configs of existing ones at start (needs topic-create and alter-config rights); durability is `kafka.topics`.',
        ),
    })
    .prefault({}),
  producer: z
    .strictObject({
      maxInFlight: z
        .number()
        .int()
        .positive()
        .default(20_000)
        .describe('Unacknowledged records across all devices; beyond it the gateway stops reading sockets.'),
      maxWaiting: z
        .strictObject({
          records: z
            .number()
            .int()
            .positive()
            .default(20_000)
            .describe('Publishes read from sockets and waiting for an in-flight slot.'),
          bytes: z
            .number()
            .int()
            .positive()
            .default(64 * 1024 * 1024)
            .describe('Payload bytes of those waiting publishes.'),
        })
        .prefault({})
        .describe(
          'Bound of the queue behind maxInFlight (a long Kafka outage): beyond it a publish is refused unacknowledged and its connection closed, so the device resends it later. Waiting publishes of a closed connection are dropped unproduced.',
        ),
      lingerMs: z
        .number()
        .int()
        .nonnegative()
        .default(5)
        .describe('librdkafka linger.ms: batching against latency.'),
      messageTimeoutMs: z
        .number()
        .int()
        .nonnegative()
        .default(0)
        .describe('librdkafka message.timeout.ms; 0 = retry until Kafka is back (never drop a reading).'),
      librdkafka: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
        .default({})
        .describe(
          'librdkafka properties for the producer only (e.g. enable.gapless.guarantee), which the admin client would refuse; `kafka.librdkafka` still wins.',
        ),
      recreate: z
        .strictObject({
          attempts: z
            .number()
            .int()
            .positive()
            .default(8)
            .describe('Attempts to start a new producer after a fatal error; then the gateway exits (1).'),
          initialDelayMs: z
            .number()
            .int()
            .positive()
            .default(500)
            .describe('Wait before the first attempt, doubling (with jitter) after each failed one.'),
          maxDelayMs: z.number().int().positive().default(10_000).describe('Longest wait between attempts.'),
        })
        .prefault({})
        .describe(
          'Replacing the producer after a fatal librdkafka error (idempotence fenced); not ready and no PUBACK meanwhile.',
        ),
    })
    .prefault({}),
  heartbeat: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          'Heartbeats on every partition of the telemetry channels; alerting judges communication loss on them, so only tools turn them off.',
        ),
      intervalMs: z
        .number()
        .int()
        .min(100)
        .max(60_000)
        .default(1_000)
        .describe(
          'How often each partition gets a heartbeat (a keyless, empty record with the gateway receive time): the resolution of every partition clock in alerting.',
        ),
      gatewayId: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('The id heartbeats carry (pw-heartbeat); default `<kafka.clientId>-<hostname>-<pid>`.'),
      metadataRefreshMs: z
        .number()
        .int()
        .min(1_000)
        .default(60_000)
        .describe(
          'How often the partition counts of the telemetry channels are read again (partitions can grow).',
        ),
    })
    .prefault({})
    .describe('Gateway heartbeats (issue #9, per-device time).'),
  http: httpSchema(9101).prefault({}),
  log: logSchema.prefault({}),
  shutdown: shutdownSchema
    .extend({
      graceMs: z
        .number()
        .int()
        .nonnegative()
        .max(3_600_000)
        .default(30_000)
        .describe(
          'How long devices of a gracefully stopping gateway may take to come back before per-device communication loss applies; sent on the final heartbeats and on its shutdown disconnect records (pw-grace-ms).',
        ),
    })
    .prefault({}),
})

export type GatewayConfig = z.output<typeof gatewayConfigSchema>
