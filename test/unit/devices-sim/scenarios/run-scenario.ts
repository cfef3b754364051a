import { createRng } from '../../../../devices-sim/rng.js'
import type {
  GroundTruthEvent,
  Scenario,
  ScenarioInstance,
} from '../../../../devices-sim/scenarios/scenario.js'
import { HOUR_MS, START_MS } from '../profiles/run-profile.js'

export { HOUR_MS, START_MS }

export function instantiate<C>(scenario: Scenario<C>, config: unknown, seed = 1): ScenarioInstance {
  return scenario.create({
    deviceId: 'dev-0001',
    config: scenario.configSchema.parse(config),
    rng: createRng(seed),
    startMs: START_MS,
  })
}

/** Every ground-truth event of the first `days` days after the start. */
export const allEvents = (instance: ScenarioInstance, days = 2): GroundTruthEvent[] =>
  instance.events(START_MS - 1, START_MS + days * 24 * HOUR_MS)

/** Relative times of events, for readable expectations. */
export const timeline = (events: readonly GroundTruthEvent[]): [number, string][] =>
  events.map((e) => [e.atMs - START_MS, e.event])
