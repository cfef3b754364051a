import { z } from 'zod'
import { METRIC_NAMES, type MetricName } from '../../../core/telemetry/metric-registry.js'
import type { GroundTruthEvent, Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import { eventFactory, eventsBetween, isActive, openDurationSchema, startAfterSchema } from '../timeline.js'

/** A plausible frozen reading per metric when the config names none (healthy adult, office room). */
export const TYPICAL_VALUES: Readonly<Record<MetricName, number>> = {
  heart_rate: 80,
  spo2: 97,
  pulse_rate: 80,
  respiration_rate: 16,
  nibp_systolic: 120,
  nibp_diastolic: 75,
  nibp_mean: 90,
  body_temperature: 36.9,
  infusion_rate: 50,
  infusion_state: 1,
  infusion_volume_infused: 100,
  infusion_pressure: 30,
  ambient_temperature: 21.4, // domain.md §7 item 8: "temperature sensor stuck at 21.4 °C"
  relative_humidity: 45,
  barometric_pressure: 1013.25,
  vibration_rms: 1,
  battery_level: 80,
}

export const stuckSensorConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(600_000),
  durationMs: openDurationSchema(),
  metric: z
    .enum(METRIC_NAMES)
    .default('ambient_temperature')
    .describe('The frozen metric; set it for non-environmental devices (e.g. vibration_rms, heart_rate).'),
  value: z
    .number()
    .nullable()
    .default(null)
    .describe(
      'The frozen reading; null = a typical value for the metric. A scenario cannot read the device, so it ' +
        'cannot freeze "the value at onset" itself: set this to the device baseline for a seamless freeze.',
    ),
})
export type StuckSensorConfig = z.output<typeof stuckSensorConfigSchema>

const NAME = 'stuck-sensor'

/**
 * A flatlined sensor (domain.md §4 "Stuck / flatline sensor", §7 item 8): fresh messages keep
 * arriving with quality 'valid' but one metric never changes — exactly what a stuck-detection
 * rule must tell apart from an offline device.
 */
export function createStuckSensor(context: ScenarioContext<StuckSensorConfig>): ScenarioInstance {
  const { config } = context
  const value = config.value ?? TYPICAL_VALUES[config.metric]
  const startMs = context.startMs + config.startAfterMs
  const window = { startMs, endMs: config.durationMs === null ? Infinity : startMs + config.durationMs }
  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = [event(startMs, 'stuck-start', { metric: config.metric, value })]
  if (Number.isFinite(window.endMs)) events.push(event(window.endMs, 'stuck-end', { metric: config.metric }))
  const overrides: Partial<Record<MetricName, number>> = { [config.metric]: value }
  return {
    signal: (nowMs) => (isActive(window, nowMs) ? { overrides } : {}),
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const stuckSensorScenario: Scenario<StuckSensorConfig> = {
  type: NAME,
  summary: 'One metric frozen at a constant value while messages keep arriving (flatline sensor).',
  appliesTo: ['environmental-sensor', 'vibration-sensor', 'bedside-monitor'],
  configSchema: stuckSensorConfigSchema,
  create: createStuckSensor,
}
