import { z } from 'zod'
import { deviceTypeSpec, mapDeviceTypes, type DeviceType } from '../../../../core/telemetry/device-types.js'
import { formatDuration } from '../format.js'
import type { RuleLogic, RulePlugin, RuleStep } from '../rule.js'
import { prioritySchema } from '../schema-parts.js'

const interval = (fallback: number, type: string) =>
  z
    .number()
    .int()
    .positive()
    .default(fallback)
    .describe(`Expected message interval of a ${type}, ms (its publish cadence).`)

export const missingDataConfigSchema = z.strictObject({
  expectedIntervalMs: z
    // One key per device type, defaulting to the type's cadence in the device-type table.
    .strictObject(mapDeviceTypes((spec) => interval(spec.reportIntervalMs, spec.label)))
    .prefault({})
    .describe('Expected message interval per device type, ms.'),
  missedIntervals: z
    .number()
    .positive()
    .default(3)
    .describe(
      'k: silence longer than k × the expected interval is communication loss (domain.md §4: k = 3).',
    ),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Absolute silence timeout, ms; replaces k × interval for every device type when set.'),
  raiseOnDisconnect: z
    .boolean()
    .default(true)
    .describe(
      'Raise at once on a disconnect lifecycle event (MQTT last will), without waiting for the timeout.',
    ),
  priority: prioritySchema('medium', 'communication loss (domain.md §2.2 suggests medium)'),
})
export type MissingDataConfig = z.output<typeof missingDataConfigSchema>

export interface MissingDataState {
  /** Latest message device time: the event time of the device's last sign of life. */
  lastSeenMs: number | null
  active: boolean
}

export function createMissingDataLogic(config: MissingDataConfig): RuleLogic<MissingDataState> {
  const timeoutFor = (type: DeviceType): number => {
    if (config.timeoutMs !== undefined) return config.timeoutMs
    const expected =
      type === 'unspecified' ? deviceTypeSpec(type).reportIntervalMs : config.expectedIntervalMs[type]
    return Math.round(expected * config.missedIntervals)
  }
  const raised = (tsMs: number, silenceMs: number, timeoutMs: number, why: string) => ({
    active: true as const,
    priority: config.priority,
    value: silenceMs / 1000,
    limit: timeoutMs / 1000,
    tsMs,
    message: why,
  })

  return {
    kind: 'technical',
    metric: undefined,
    sampleMetrics: [],
    stateSchema: z.strictObject({
      lastSeenMs: z.number().nullable(),
      active: z.boolean(),
    }),
    initialState: () => ({ lastSeenMs: null, active: false }),
    onMessage(state, message, device): RuleStep<MissingDataState> {
      const lastSeenMs = Math.max(state.lastSeenMs ?? message.tsMs, message.tsMs)
      if (!state.active) return { state: { ...state, lastSeenMs } }
      const silenceMs = state.lastSeenMs === null ? 0 : Math.max(0, message.tsMs - state.lastSeenMs)
      return {
        state: { ...state, lastSeenMs, active: false },
        signal: {
          active: false,
          value: silenceMs / 1000,
          limit: timeoutFor(device.deviceType) / 1000,
          tsMs: message.tsMs,
          message: `Messages again after ${formatDuration(silenceMs)} of silence`,
        },
      }
    },
    onTime(state, streamTimeMs, device): RuleStep<MissingDataState> {
      if (state.active || state.lastSeenMs === null) return { state }
      const timeoutMs = timeoutFor(device.deviceType)
      if (streamTimeMs - state.lastSeenMs <= timeoutMs) return { state }
      // The deadline, not the watermark that revealed it: the same event time however often advance() runs.
      const deadline = state.lastSeenMs + timeoutMs
      return {
        state: { ...state, active: true },
        signal: raised(
          deadline,
          timeoutMs,
          timeoutMs,
          `No message for more than ${formatDuration(timeoutMs)} (communication loss)`,
        ),
      }
    },
    onLifecycle(state, input, device): RuleStep<MissingDataState> {
      if (input.event !== 'disconnected' || !config.raiseOnDisconnect || state.active) return { state }
      return {
        state: { ...state, active: true },
        signal: raised(
          input.atMs,
          0,
          timeoutFor(device.deviceType),
          'Device disconnected from the gateway (communication loss)',
        ),
      }
    },
  }
}

export const missingDataRule: RulePlugin<MissingDataConfig, MissingDataState> = {
  type: 'missing-data',
  summary: 'Communication loss: no message for k × the expected interval (event time), or a disconnect.',
  configSchema: missingDataConfigSchema,
  create: (config) => createMissingDataLogic(config),
}
