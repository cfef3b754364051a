import { Counter, Gauge, type Registry } from 'prom-client'

/** The console's own metrics (labels from closed sets: never a user, device or alert id). */
export function createWebMetrics(registry: Registry) {
  const registers = [registry]
  return {
    sseClients: new Gauge({
      name: 'pulsewire_web_sse_clients',
      help: 'Browsers connected to the live stream.',
      registers,
    }),
    liveEvents: new Counter({
      name: 'pulsewire_web_live_events_total',
      help: 'Events pushed on the live stream, by type (alarm, reading, pipeline, status).',
      labelNames: ['type'] as const,
      registers,
    }),
    resyncs: new Counter({
      name: 'pulsewire_web_resyncs_total',
      help: 'Reconnects whose gap had left the live buffer (told to refetch the snapshot).',
      registers,
    }),
    logins: new Counter({
      name: 'pulsewire_web_logins_total',
      help: 'Sign-in attempts by outcome (ok, failed, locked).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    actions: new Counter({
      name: 'pulsewire_web_alarm_actions_total',
      help: 'Alarm actions (acknowledge, silence, reset) by outcome (ok, forbidden, failed).',
      labelNames: ['action', 'outcome'] as const,
      registers,
    }),
    badRecords: new Counter({
      name: 'pulsewire_web_undecodable_records_total',
      help: 'Records the console could not decode, by channel (skipped).',
      labelNames: ['channel'] as const,
      registers,
    }),
    devices: new Gauge({
      name: 'pulsewire_web_devices',
      help: 'Devices the telemetry tap holds (capped by tap.maxDevices).',
      registers,
    }),
  }
}
export type WebMetrics = ReturnType<typeof createWebMetrics>
