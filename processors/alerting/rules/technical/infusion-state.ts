import { z } from 'zod'
import { INFUSION_STATES } from '../../../../core/telemetry/metric-registry.js'
import type { RuleLogic, RuleStep } from '../rule.js'
import { prioritySchema } from '../schema-parts.js'

export const infusionStateConditionSchema = z.strictObject({
  condition: z.literal('infusion-state').describe('Infusion pump state, from infusion_state samples.'),
  states: z
    .array(z.enum(INFUSION_STATES))
    .min(1)
    .default(['alarm'])
    .describe(
      'Pump states that are the technical condition (the pump stopped on its own alarm: occlusion, air, door).',
    ),
  priority: prioritySchema('high', 'the pump alarm (domain.md §1.6: most pump alarms are high)'),
})
export type InfusionStateCondition = z.output<typeof infusionStateConditionSchema>

export interface InfusionStateState {
  active: boolean
}

export function createInfusionStateLogic(config: InfusionStateCondition): RuleLogic<InfusionStateState> {
  const watched = new Set<string>(config.states)
  return {
    kind: 'technical',
    metric: 'infusion_state',
    sampleMetrics: ['infusion_state'],
    stateSchema: z.strictObject({ active: z.boolean() }),
    initialState: () => ({ active: false }),
    onSample(state, s): RuleStep<InfusionStateState> {
      if (s.metric !== 'infusion_state' || !s.valid) return { state }
      const name = INFUSION_STATES[Math.round(s.value)] ?? 'unspecified'
      const active = watched.has(name)
      if (active === state.active) return { state }
      const base = { value: s.value, limit: s.value, tsMs: s.tsMs, metric: 'infusion_state' as const }
      return {
        state: { active },
        signal: active
          ? { ...base, active, priority: config.priority, message: `Infusion pump state: ${name}` }
          : { ...base, active, message: `Infusion pump state: ${name}` },
      }
    },
  }
}
