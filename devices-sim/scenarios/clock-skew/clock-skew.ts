import { z } from 'zod'
import type { GroundTruthEvent, Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import {
  ALL_DEVICE_TYPES,
  eventFactory,
  eventsBetween,
  isActive,
  openDurationSchema,
  startAfterSchema,
} from '../timeline.js'

export const clockSkewConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: openDurationSchema(),
  clockOffsetMs: z
    .number()
    .int()
    .default(90_000)
    .describe('Added to the device clock, ms; positive = fast (domain.md §7 item 6: a clock 90 s fast).'),
})
export type ClockSkewConfig = z.output<typeof clockSkewConfigSchema>

const NAME = 'clock-skew'

/** A device clock off by a constant (domain.md §4 "Clock skew": flag > 2 s wearable, > 60 s field IoT). */
export function createClockSkew(context: ScenarioContext<ClockSkewConfig>): ScenarioInstance {
  const { config } = context
  const startMs = context.startMs + config.startAfterMs
  const window = { startMs, endMs: config.durationMs === null ? Infinity : startMs + config.durationMs }
  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = [event(startMs, 'clock-skew', { clockOffsetMs: config.clockOffsetMs })]
  if (Number.isFinite(window.endMs)) events.push(event(window.endMs, 'clock-skew-end'))
  return {
    signal: () => ({}),
    transport: (nowMs) => (isActive(window, nowMs) ? { clockOffsetMs: config.clockOffsetMs } : {}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const clockSkewScenario: Scenario<ClockSkewConfig> = {
  type: NAME,
  summary: 'Device clock runs ahead (default +90 s) of true time.',
  appliesTo: ALL_DEVICE_TYPES,
  configSchema: clockSkewConfigSchema,
  create: createClockSkew,
}
