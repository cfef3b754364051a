import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Every gateway_* metric, defined once. Labels come from closed sets: never a device id. */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry]
  return {
    producerRecoveries: new Counter({
      name: 'pulsewire_gateway_producer_recoveries_total',
      help: 'Producers replaced after a fatal librdkafka error, by outcome (recreated, failed: every attempt failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    received: new Counter({
      name: 'pulsewire_gateway_messages_received_total',
      help: 'PUBLISH packets from devices, by stream (telemetry, status).',
      labelNames: ['stream'] as const,
      registers,
    }),
    accepted: new Counter({
      name: 'pulsewire_gateway_messages_accepted_total',
      help: 'Valid telemetry forwarded to its channel.',
      labelNames: ['channel'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'pulsewire_gateway_messages_rejected_total',
      help: 'Telemetry routed to the DLQ channel, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    samplesDropped: new Counter({
      name: 'pulsewire_gateway_samples_dropped_total',
      help: 'Samples removed from otherwise valid messages before forwarding, by reason (missing_value: no value on the wire while the quality claims a measurement; ADR 0015). The original message goes to the DLQ.',
      labelNames: ['reason'] as const,
      registers,
    }),
    dlqTruncated: new Counter({
      name: 'pulsewire_gateway_dlq_payloads_truncated_total',
      help: 'Oversized payloads acknowledged with a DLQ record holding only their first dlq.oversizedKeepBytes bytes.',
      registers,
    }),
    produced: new Counter({
      name: 'pulsewire_gateway_records_produced_total',
      help: 'Kafka records by channel and outcome (delivered, failed).',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    }),
    produceDuration: new Histogram({
      name: 'pulsewire_gateway_produce_duration_seconds',
      help: 'Receive to Kafka delivery report (acks=all): the time a PUBACK waits.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    deviceClockSkew: new Histogram({
      name: 'pulsewire_gateway_device_clock_offset_seconds',
      help: 'Gateway receive time minus device timestamp (transport delay plus device clock error).',
      buckets: [-60, -5, -1, -0.1, 0, 0.1, 0.5, 1, 5, 60, 300, 3600],
      registers,
    }),
    inFlight: new Gauge({
      name: 'pulsewire_gateway_inflight_messages',
      help: 'Publishes waiting for their Kafka delivery report (their PUBACK is withheld).',
      registers,
    }),
    publishesRefused: new Counter({
      name: 'pulsewire_gateway_publishes_refused_total',
      help: 'Publishes refused unacknowledged (connection closed, the device resends later), by reason (producer_backlog: producer.maxWaiting reached).',
      labelNames: ['reason'] as const,
      registers,
    }),
    withdrawn: new Counter({
      name: 'pulsewire_gateway_publishes_withdrawn_total',
      help: 'Publishes that waited for the producer and were dropped unproduced because their connection had closed (never acknowledged: the device resends them).',
      registers,
    }),
    deliveredAfterClose: new Counter({
      name: 'pulsewire_gateway_delivered_after_close_total',
      help: 'Records delivered to Kafka after their connection had closed unacknowledged: the device resends them, so each may be one duplicate (consumer dedupe by device and seq).',
      registers,
    }),
    qos2Duplicates: new Counter({
      name: 'pulsewire_gateway_qos2_duplicates_total',
      help: 'QoS 2 retransmissions of a packet id already produced or being produced for the client: answered (PUBREC) without producing again.',
      registers,
    }),
    retainRefused: new Counter({
      name: 'pulsewire_gateway_retain_refused_total',
      help: 'Retained publishes on telemetry topics: forwarded to Kafka with the retain flag cleared, never kept in the broker.',
      registers,
    }),
    pingsAnswered: new Counter({
      name: 'pulsewire_gateway_pings_answered_total',
      help: 'PINGREQs answered in front of the broker, so a device whose publishes wait for Kafka keeps getting PINGRESPs.',
      registers,
    }),
    keepaliveTimeouts: new Counter({
      name: 'pulsewire_gateway_keepalive_timeouts_total',
      help: 'Connections closed because nothing arrived from the device within 1.5 × its keepalive.',
      registers,
    }),
    connections: new Gauge({
      name: 'pulsewire_gateway_connections',
      help: 'Authenticated device connections.',
      registers,
    }),
    connects: new Counter({
      name: 'pulsewire_gateway_connect_attempts_total',
      help: 'CONNECT outcomes (accepted, unknown, revoked, bad_secret, client_id_mismatch).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'pulsewire_gateway_connections_refused_total',
      help: 'Connections closed by a connection-level limit, by reason (max_connections, connect_rate, auth_backoff at accept; packet_too_large, malformed_packet on a declared packet length; bad_certificate, certificate_required on a TLS client certificate).',
      labelNames: ['reason'] as const,
      registers,
    }),
    openSockets: new Gauge({
      name: 'pulsewire_gateway_open_sockets',
      help: 'Admitted MQTT sockets across all listeners, authenticated or not (limits.maxConnections caps it).',
      registers,
    }),
    revokedPublishes: new Counter({
      name: 'pulsewire_gateway_revoked_publishes_total',
      help: 'Publishes refused (connection closed) because the device is no longer entitled, by reason (not_enrolled: revoked or removed; secret_rotated; role_changed).',
      labelNames: ['reason'] as const,
      registers,
    }),
    revocationDisconnects: new Counter({
      name: 'pulsewire_gateway_revocation_disconnects_total',
      help: 'Open connections closed after a device-store change, by reason (not_enrolled, secret_rotated, role_changed).',
      labelNames: ['reason'] as const,
      registers,
    }),
    publishesThrottled: new Counter({
      name: 'pulsewire_gateway_publishes_throttled_total',
      help: 'Device publishes held back by limits.devicePublish (the socket is not read meanwhile), by reason (messages_rate, bytes_rate).',
      labelNames: ['reason'] as const,
      registers,
    }),
    throttleSeconds: new Counter({
      name: 'pulsewire_gateway_publish_throttle_seconds_total',
      help: 'Time device publishes were held back by limits.devicePublish, summed.',
      registers,
    }),
    quotaDisconnects: new Counter({
      name: 'pulsewire_gateway_quota_disconnects_total',
      help: 'Connections closed because a device was further over limits.devicePublish than maxThrottleMs of waiting, by reason (messages_rate, bytes_rate).',
      labelNames: ['reason'] as const,
      registers,
    }),
    dlqDropped: new Counter({
      name: 'pulsewire_gateway_dlq_dropped_total',
      help: 'Rejected payloads acknowledged without a DLQ record of their own (the device is over limits.dlqQuota), by reject reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    aclDenials: new Counter({
      name: 'pulsewire_gateway_acl_denials_total',
      help: 'Publishes or subscriptions outside the device’s own topics.',
      labelNames: ['action'] as const,
      registers,
    }),
    alertCommands: new Counter({
      name: 'pulsewire_gateway_alert_commands_total',
      help: 'Alarm commands published by alert operators over MQTT: forwarded to alerts.commands.v1, invalid (dropped, acknowledged), or failed (not acknowledged).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    heartbeatsSent: new Counter({
      name: 'pulsewire_gateway_heartbeats_sent_total',
      help: 'Partition heartbeats on the telemetry channels, by outcome (delivered, failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    heartbeatsSkipped: new Counter({
      name: 'pulsewire_gateway_heartbeats_skipped_total',
      help: 'Partition heartbeats not sent, by reason (not_ready: producer being replaced; pending: the previous one on that partition is undelivered, as in a Kafka outage; backlog_full; no_metadata: partition counts unknown).',
      labelNames: ['reason'] as const,
      registers,
    }),
  }
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>
