import { z } from 'zod'

const MINUTE = 60_000
/** Topic (devices/{id ≤ 256}/telemetry), packet id and fixed header around a payload, rounded up. */
const PACKET_OVERHEAD_BYTES = 4096

/**
 * The gateway's limits against hostile and buggy clients (docs/security.md): packet and payload
 * size, connections, CONNECT rate, auth back-off (ADR 0009) and per-device quotas (ADR 0013).
 */
export const gatewayLimitsSchema = z
  .strictObject({
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .max(900_000)
      .default(256 * 1024)
      .describe('Larger payloads go to the DLQ.'),
    maxSamplesPerMessage: z.number().int().positive().default(2_000),
    maxFutureSkewMs: z
      .number()
      .int()
      .nonnegative()
      .default(5 * MINUTE)
      .describe('Device timestamps further ahead are rejected.'),
    maxAgeMs: z
      .number()
      .int()
      .positive()
      .default(7 * 24 * 60 * MINUTE)
      .describe('Older readings (even backfill) are rejected.'),
    maxPacketBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(512 * 1024)
      .describe(
        'Largest MQTT packet (fixed header included), judged on its declared length before it is buffered: a larger one closes the connection. Also the WebSocket maxPayload. At least maxPayloadBytes + 4 KiB (topic and headers).',
      ),
    maxConnections: z
      .number()
      .int()
      .positive()
      .default(50_000)
      .describe('Open MQTT connections across all listeners; beyond it new sockets are closed at accept.'),
    connectRate: z
      .strictObject({
        perSecond: z.number().positive().default(20).describe('CONNECTs per second per source address.'),
        burst: z
          .number()
          .int()
          .positive()
          .default(200)
          .describe('Bucket size: a ward reconnecting behind one NAT address at once.'),
      })
      .prefault({})
      .describe('Token bucket of new connections per source address (IPv6: per /64).'),
    authBackoff: z
      .strictObject({
        failures: z
          .number()
          .int()
          .positive()
          .default(10)
          .describe('Auth failures from one address within windowMs that start a back-off.'),
        windowMs: z
          .number()
          .int()
          .positive()
          .default(MINUTE)
          .describe('Failures older than this no longer count towards a back-off.'),
        initialMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe('First refusal period; doubles per strike.'),
        maxMs: z
          .number()
          .int()
          .positive()
          .default(5 * MINUTE)
          .describe('Longest refusal period; as long without failures forgives earlier strikes.'),
      })
      .prefault({})
      .describe('After repeated bad credentials, new connections from the address are closed at accept.'),
    exemptAddresses: z
      .array(z.string().min(1))
      .default(['127.0.0.1', '::1'])
      .describe(
        'Source addresses exempt from connectRate and authBackoff (loopback: simulator and load tests). Behind a TCP load balancer every device arrives with the balancer’s address: list it here and limit per client at the balancer.',
      ),
    maxTrackedAddresses: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('Per-address entries held for connectRate/authBackoff; the least recently seen is evicted.'),
    devicePublish: z
      .strictObject({
        messagesPerSecond: z
          .number()
          .positive()
          .default(1_000)
          .describe(
            'Publishes per second per device, sustained. The heaviest simulator profile sends 1/s; `pulsewire loadtest` at most 333/s (one reading every 3 ms).',
          ),
        messagesBurst: z
          .number()
          .int()
          .positive()
          .default(2_000)
          .describe('Bucket size: publishes a device may send at once (a backlog after reconnecting).'),
        bytesPerSecond: z
          .number()
          .int()
          .positive()
          .default(2 * 1024 * 1024)
          .describe('Payload bytes per second per device, sustained.'),
        bytesBurst: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024)
          .describe(
            'Bucket size in payload bytes; at least maxPacketBytes, so one largest packet never waits.',
          ),
        maxThrottleMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe(
            'Over its rate, a device publish waits (its socket is not read meanwhile); one that would wait longer closes the connection.',
          ),
      })
      .prefault({})
      .describe(
        'Per-device token buckets (by device id, across reconnects): excess is throttled, then disconnected.',
      ),
    dlqQuota: z
      .strictObject({
        perMinute: z
          .number()
          .positive()
          .default(60)
          .describe('DLQ records per minute per device, sustained.'),
        burst: z.number().int().positive().default(100).describe('Bucket size of DLQ records per device.'),
      })
      .prefault({})
      .describe(
        'Beyond it a device’s rejected payloads are acknowledged, counted (pulsewire_gateway_dlq_dropped_total) and dropped without a DLQ record.',
      ),
    maxTrackedDevices: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe(
        'Per-device quota entries held; the least recently seen is evicted (its buckets start full again).',
      ),
  })
  .refine((l) => l.maxPacketBytes >= l.maxPayloadBytes + PACKET_OVERHEAD_BYTES, {
    message: 'maxPacketBytes must be at least maxPayloadBytes + 4096 (a valid payload must fit in a packet)',
    path: ['maxPacketBytes'],
  })
  .refine((l) => l.devicePublish.bytesBurst >= l.maxPacketBytes, {
    message:
      'devicePublish.bytesBurst must be at least maxPacketBytes (one largest packet must fit the bucket)',
    path: ['devicePublish', 'bytesBurst'],
  })
