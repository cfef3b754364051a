import { z } from 'zod'
import { formatDuration } from '../format.js'
import type { RuleLogic, RuleStep } from '../rule.js'
import { prioritySchema } from '../schema-parts.js'

export const clockConditionSchema = z.strictObject({
  condition: z
    .literal('clock')
    .describe(
      "Device clock fault: its send time is further from the gateway's receive time than the alerting bound (time.maxDeviceSkewMs, default ±5 min); its readings are then timed by receive time.",
    ),
  priority: prioritySchema('low', 'the clock fault (readings still alarm, timed by receive time)'),
})
export type ClockCondition = z.output<typeof clockConditionSchema>

export interface ClockState {
  active: boolean
}

/**
 * Raised while the engine retimes a device's readings (MessageInput.retimed): the condition
 * delays still work, but the stored reading times and any backfill from the device are wrong,
 * and someone should fix its time source. Ends with the first message within the bound.
 */
export function createClockLogic(config: ClockCondition): RuleLogic<ClockState> {
  return {
    kind: 'technical',
    metric: undefined,
    sampleMetrics: [],
    stateSchema: z.strictObject({ active: z.boolean() }),
    initialState: () => ({ active: false }),
    onMessage(state, message): RuleStep<ClockState> {
      if (message.retimed === state.active) return { state }
      const offBy = `${formatDuration(Math.abs(message.skewMs))} ${message.skewMs > 0 ? 'ahead of' : 'behind'}`
      const base = { value: message.skewMs / 1000, limit: 0, tsMs: message.rxMs }
      return {
        state: { active: message.retimed },
        signal: message.retimed
          ? {
              ...base,
              active: true,
              priority: config.priority,
              message: `Device clock ${offBy} the gateway: readings timed by receive time`,
            }
          : { ...base, active: false, message: `Device clock within bounds again (${offBy} the gateway)` },
      }
    },
  }
}
