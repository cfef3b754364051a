/**
 * The long-running processes, by the `service` label of their metrics registry, and who answers
 * for each: the catalog (`pulsewire catalog`) names them as the producers and consumers of the
 * channels. An owner is the source folder whose code defines the process's contract, the place a
 * change request goes; there is no separate team directory to point at.
 */
export const PROCESSES = {
  gateway: {
    command: 'pulsewire gateway',
    owner: 'gateway/',
    description: 'MQTT gateway: authenticates devices, validates telemetry, produces it to Kafka.',
  },
  storage: {
    command: 'pulsewire processors',
    owner: 'processors/storage/',
    description: 'Writes the telemetry channels to InfluxDB, committing offsets after each write.',
  },
  alerting: {
    command: 'pulsewire processors',
    owner: 'processors/alerting/',
    description: 'Evaluates the alert rules and emits alert transitions in Kafka transactions.',
  },
  alerts: {
    command: 'pulsewire alerts',
    owner: 'processors/sinks/',
    description: 'The alert sinks (console, webhook, MQTT, JSON lines), one consumer group each.',
  },
  web: {
    command: 'pulsewire web',
    owner: 'processors/web/',
    description:
      'Central-station web console: live ward from the alerts channel and a telemetry tap, alarm actions as operator commands.',
  },
} as const

export type ProcessName = keyof typeof PROCESSES
