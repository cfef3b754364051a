import { batteryDeclineScenario } from './battery-decline.js'
import { clockSkewScenario } from './clock-skew.js'
import { desaturationScenario } from './desaturation.js'
import { duplicateRedeliveryScenario } from './duplicate-redelivery.js'
import { malformedPayloadsScenario } from './malformed-payloads.js'
import { motionArtefactScenario } from './motion-artefact.js'
import { offlineBackfillScenario } from './offline-backfill.js'
import { opioidRespiratoryDepressionScenario } from './opioid-respiratory-depression.js'
import { probeOffScenario } from './probe-off.js'
import type { Scenario } from './scenario.js'
import { sepsisScenario } from './sepsis.js'
import { stuckSensorScenario } from './stuck-sensor.js'

/** Every scenario, listed explicitly (no registration by import side effect); name = file name. */
export const SCENARIOS: readonly Scenario[] = [
  sepsisScenario,
  desaturationScenario,
  opioidRespiratoryDepressionScenario,
  probeOffScenario,
  motionArtefactScenario,
  stuckSensorScenario,
  batteryDeclineScenario,
  offlineBackfillScenario,
  clockSkewScenario,
  duplicateRedeliveryScenario,
  malformedPayloadsScenario,
]

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.name === name)
}
