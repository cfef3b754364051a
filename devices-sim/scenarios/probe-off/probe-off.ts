import { z } from 'zod'
import { METRIC_NAMES, type MetricName } from '../../../core/telemetry/metric-registry.js'
import type { Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import { eventFactory, eventsBetween, isActive, startAfterSchema } from '../timeline.js'

export const probeOffConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(60_000),
  durationMs: z
    .number()
    .int()
    .positive()
    .default(180_000)
    .describe('How long the probe is off, ms (domain.md §7 item 5: 3 min).'),
  metrics: z
    .array(z.enum(METRIC_NAMES))
    .min(1)
    .default(['spo2', 'pulse_rate'])
    .describe('Metrics the detached probe measures (the oximeter: SpO2 and its pulse rate).'),
})
export type ProbeOffConfig = z.output<typeof probeOffConfigSchema>

const NAME = 'probe-off'

/**
 * The SpO2 probe falls off and is reattached (domain.md §1.3, §7 item 5): a technical condition,
 * so only the quality changes ('probe_off'; profiles then send no reading value), never a trend.
 */
export function createProbeOff(context: ScenarioContext<ProbeOffConfig>): ScenarioInstance {
  const { config } = context
  const window = { startMs: context.startMs + config.startAfterMs, endMs: 0 }
  window.endMs = window.startMs + config.durationMs
  const quality = Object.fromEntries(config.metrics.map((m) => [m, 'probe_off'])) as Partial<
    Record<MetricName, 'probe_off'>
  >
  const event = eventFactory(context.deviceId, NAME)
  const metrics = config.metrics.join(',')
  const events = [
    event(window.startMs, 'probe-off', { metrics }),
    event(window.endMs, 'probe-on', { metrics }),
  ]
  return {
    signal: (nowMs) => (isActive(window, nowMs) ? { quality } : {}),
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const probeOffScenario: Scenario<ProbeOffConfig> = {
  type: NAME,
  summary: 'SpO2 probe off for 3 min, then reattached: SpO2 and pulse rate carry quality probe_off.',
  appliesTo: ['bedside-monitor', 'wearable'],
  configSchema: probeOffConfigSchema,
  create: createProbeOff,
}
