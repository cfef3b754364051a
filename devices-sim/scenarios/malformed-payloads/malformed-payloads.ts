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

export const malformedPayloadsConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: openDurationSchema(),
  malformedProbability: z
    .number()
    .min(0)
    .max(1)
    .default(0.02)
    .describe('Chance that a publish is replaced by malformed bytes.'),
})
export type MalformedPayloadsConfig = z.output<typeof malformedPayloadsConfigSchema>

const NAME = 'malformed-payloads'

/**
 * Corrupt payloads: the gateway must count and drop them without crashing or stalling the
 * device's stream (domain.md §0: expected failures are values, not exceptions).
 */
export function createMalformedPayloads(context: ScenarioContext<MalformedPayloadsConfig>): ScenarioInstance {
  const { config } = context
  const startMs = context.startMs + config.startAfterMs
  const window = { startMs, endMs: config.durationMs === null ? Infinity : startMs + config.durationMs }
  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = [
    event(startMs, 'malformed-payloads-start', { malformedProbability: config.malformedProbability }),
  ]
  if (Number.isFinite(window.endMs)) events.push(event(window.endMs, 'malformed-payloads-end'))
  return {
    signal: () => ({}),
    transport: (nowMs) =>
      isActive(window, nowMs) ? { malformedProbability: config.malformedProbability } : {},
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const malformedPayloadsScenario: Scenario<MalformedPayloadsConfig> = {
  type: NAME,
  summary: 'A fraction of publishes (default 2 %) replaced by malformed bytes.',
  appliesTo: ALL_DEVICE_TYPES,
  configSchema: malformedPayloadsConfigSchema,
  create: createMalformedPayloads,
}
