/**
 * Kafka record headers Pulsewire sets, defined once. The record value stays the device's own
 * bytes; what the gateway knows besides (receive time, registry metadata, rejection reason)
 * travels in headers, so nothing is re-encoded on the hot path.
 */
export const HEADERS = {
  /** Gateway receive time, ms since the epoch (decimal string). */
  gatewayRxTs: 'pw-gateway-rx-ts',
  /** Fully qualified protobuf message name of the value. */
  schema: 'pw-schema',
  deviceType: 'pw-device-type',
  site: 'pw-site',
  /** Pseudonymous subject id from the device registry; never a name or MRN. */
  subject: 'pw-subject',
  /** DLQ only: why the payload was rejected (a RejectReason), and details. */
  rejectReason: 'pw-reject-reason',
  rejectDetail: 'pw-reject-detail',
  /** DLQ only: the payload's size in bytes when the value holds only its first bytes (oversized). */
  payloadSize: 'pw-payload-size',
  /** DLQ only: the MQTT topic it arrived on. */
  mqttTopic: 'pw-mqtt-topic',
  /**
   * Telemetry channels: the record is a DLQ record re-driven after a fix (`pulsewire dlq redrive`),
   * value `telemetry.dlq.v1/<partition>@<offset>`; its bytes, key and receive time are the original's.
   */
  redrivenFrom: 'pw-redriven-from',
  /** Status channel: lifecycle event kind (connected, disconnected, status). */
  lifecycle: 'pw-lifecycle',
  /** Status channel, disconnected records: why (gateway_shutdown when the gateway stops gracefully). */
  disconnectReason: 'pw-disconnect-reason',
  /**
   * Telemetry channels: a gateway heartbeat (value: the gateway id; record value empty, no key),
   * one per partition per interval, so a partition's clock is the gateway's receive time even
   * when no device publishes on it (issue #9: per-device time).
   */
  heartbeat: 'pw-heartbeat',
  /** On a stopping heartbeat and on gateway_shutdown disconnects: how long devices may take to come back, ms. */
  graceMs: 'pw-grace-ms',
  /** Alert channel: the event's alert id, transition and priority, readable without decoding it. */
  alertId: 'pw-alert-id',
  transition: 'pw-transition',
  priority: 'pw-priority',
  /** Alert command channel: the command kind (acknowledge, silence, reset). */
  command: 'pw-command',
} as const

export const TELEMETRY_SCHEMA = 'pulsewire.telemetry.v1.Telemetry'
