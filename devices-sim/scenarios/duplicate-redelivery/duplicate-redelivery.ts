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

const probability = (fallback: number, description: string) =>
  z.number().min(0).max(1).default(fallback).describe(description)

export const duplicateRedeliveryConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: openDurationSchema(),
  duplicateProbability: probability(0.05, 'Chance that a publish is delivered twice (QoS 1 redelivery).'),
  reorderProbability: probability(0.05, 'Chance that a publish is held back and sent after the next one.'),
})
export type DuplicateRedeliveryConfig = z.output<typeof duplicateRedeliveryConfigSchema>

const NAME = 'duplicate-redelivery'

/**
 * Duplicates and out-of-order delivery (domain.md §4 "Out-of-order / late data", §7 item 10).
 * The runner rolls the dice per publish and logs each duplicate; ground truth records the rates.
 */
export function createDuplicateRedelivery(
  context: ScenarioContext<DuplicateRedeliveryConfig>,
): ScenarioInstance {
  const { config } = context
  const startMs = context.startMs + config.startAfterMs
  const window = { startMs, endMs: config.durationMs === null ? Infinity : startMs + config.durationMs }
  const rates = {
    duplicateProbability: config.duplicateProbability,
    reorderProbability: config.reorderProbability,
  }
  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = [event(startMs, 'duplicate-redelivery-start', rates)]
  if (Number.isFinite(window.endMs)) events.push(event(window.endMs, 'duplicate-redelivery-end'))
  return {
    signal: () => ({}),
    transport: (nowMs) => (isActive(window, nowMs) ? rates : {}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const duplicateRedeliveryScenario: Scenario<DuplicateRedeliveryConfig> = {
  type: NAME,
  summary: 'Some publishes delivered twice or out of order (default 5 % each).',
  appliesTo: ALL_DEVICE_TYPES,
  configSchema: duplicateRedeliveryConfigSchema,
  create: createDuplicateRedelivery,
}
