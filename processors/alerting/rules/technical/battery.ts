import { z } from 'zod'
import type { RuleLogic, RuleSignal, RuleStep } from '../rule.js'
import { prioritySchema, priorityRank, type RefinementContext } from '../schema-parts.js'

const stageSchema = z.strictObject({
  belowPct: z
    .number()
    .min(0)
    .max(100)
    .describe('The stage is active while the battery level is below this, %.'),
  priority: prioritySchema('low', 'this stage'),
})

export const batteryConditionSchema = z
  .strictObject({
    condition: z.literal('battery').describe('Low battery, from battery_level samples or status.batteryPct.'),
    stages: z
      .array(stageSchema)
      .min(1)
      .max(3)
      .default([
        { belowPct: 20, priority: 'low' },
        { belowPct: 10, priority: 'high' },
      ])
      .describe('From least to most severe (domain.md §4: low at 20 %, critical at 5–10 %).'),
    clearMarginPct: z
      .number()
      .min(0)
      .max(20)
      .default(2)
      .describe('Hysteresis: a stage ends once the level is this far above its limit (voltage sag, swap).'),
  })
  .superRefine((config, ctx) => checkStages(config, ctx))
export type BatteryCondition = z.output<typeof batteryConditionSchema>

function checkStages(config: BatteryCondition, ctx: RefinementContext): void {
  config.stages.forEach((stage, i) => {
    const previous = config.stages[i - 1]
    if (!previous) return
    if (stage.belowPct >= previous.belowPct) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', i, 'belowPct'],
        message: `must be below ${previous.belowPct}: stages go from least to most severe`,
      })
    }
    if (priorityRank(stage.priority) <= priorityRank(previous.priority)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', i, 'priority'],
        message: `must be higher than ${previous.priority}: a further stage escalates`,
      })
    }
  })
}

export interface BatteryState {
  /** Index of the active stage, -1 for none. */
  stage: number
}

export function createBatteryLogic(config: BatteryCondition): RuleLogic<BatteryState> {
  const { stages, clearMarginPct } = config
  const evaluate = (state: BatteryState, pct: number, tsMs: number): RuleStep<BatteryState> => {
    let stage = state.stage
    // Deeper stages apply at once; leaving one needs the margin (hysteresis).
    stages.forEach((s, i) => {
      if (i > stage && pct < s.belowPct) stage = i
    })
    while (stage >= 0 && pct >= (stages[stage]?.belowPct ?? 0) + clearMarginPct) stage--
    if (stage === state.stage) return { state }
    const current = stages[stage]
    const signal: RuleSignal = current
      ? {
          active: true,
          priority: current.priority,
          value: pct,
          limit: current.belowPct,
          tsMs,
          metric: 'battery_level',
          message: `Battery ${pct} % < ${current.belowPct} %`,
        }
      : {
          active: false,
          value: pct,
          limit: stages[0]?.belowPct ?? 0,
          tsMs,
          metric: 'battery_level',
          message: `Battery ${pct} %`,
        }
    return { state: { stage }, signal }
  }
  return {
    kind: 'technical',
    metric: 'battery_level',
    sampleMetrics: ['battery_level'],
    stateSchema: z.strictObject({
      stage: z
        .number()
        .int()
        .min(-1)
        .max(stages.length - 1),
    }),
    initialState: () => ({ stage: -1 }),
    onSample(state, s) {
      if (s.metric !== 'battery_level' || !s.valid) return { state }
      return evaluate(state, s.value, s.tsMs)
    },
    onMessage(state, message) {
      const pct = message.status?.batteryPct
      return pct === undefined ? { state } : evaluate(state, pct, message.tsMs)
    },
  }
}
