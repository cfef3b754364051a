import { z } from 'zod'
import type { RuleLogic, RulePlugin } from '../rule.js'
import { batteryConditionSchema, createBatteryLogic } from './battery.js'
import { clockConditionSchema, createClockLogic } from './clock.js'
import { createInfusionStateLogic, infusionStateConditionSchema } from './infusion-state.js'
import { createQualityLogic, qualityConditionSchema } from './quality.js'

/** One technical condition per rule, chosen by `condition` (IEC 60601-1-8: always non-latching, §2.2). */
export const technicalConfigSchema = z.discriminatedUnion('condition', [
  qualityConditionSchema,
  batteryConditionSchema,
  infusionStateConditionSchema,
  clockConditionSchema,
])
export type TechnicalConfig = z.output<typeof technicalConfigSchema>

// Each condition has its own state type; the engine only stores and hands it back.
export function createTechnicalLogic(config: TechnicalConfig): RuleLogic<unknown> {
  switch (config.condition) {
    case 'quality':
      return createQualityLogic(config)
    case 'battery':
      return createBatteryLogic(config)
    case 'infusion-state':
      return createInfusionStateLogic(config)
    case 'clock':
      return createClockLogic(config)
  }
}

export const technicalRule: RulePlugin<TechnicalConfig, unknown> = {
  type: 'technical',
  summary:
    'Technical alarms: sensor quality (probe off) with a delay, low battery in stages, pump alarm state, device clock fault.',
  configSchema: technicalConfigSchema,
  create: (config) => createTechnicalLogic(config),
}
