import { batteryDeclineScenario } from './battery-decline/battery-decline.js'
import { clockSkewScenario } from './clock-skew/clock-skew.js'
import { desaturationScenario } from './desaturation/desaturation.js'
import { duplicateRedeliveryScenario } from './duplicate-redelivery/duplicate-redelivery.js'
import { malformedPayloadsScenario } from './malformed-payloads/malformed-payloads.js'
import { motionArtefactScenario } from './motion-artefact/motion-artefact.js'
import { offlineBackfillScenario } from './offline-backfill/offline-backfill.js'
import { opioidRespiratoryDepressionScenario } from './opioid-respiratory-depression/opioid-respiratory-depression.js'
import { probeOffScenario } from './probe-off/probe-off.js'
import type { Scenario } from './scenario.js'
import { sepsisScenario } from './sepsis/sepsis.js'
import { stuckSensorScenario } from './stuck-sensor/stuck-sensor.js'

/** Every scenario, listed explicitly (no registration by import side effect); type = folder name. */
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

export function scenarioByType(type: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.type === type)
}
