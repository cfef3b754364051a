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
  /**
   * Gateway receive time of the device's last sign of life (a message, or a resumed partition
   * clock after an ingress outage): never a device clock, so a fast or slow device moves nothing.
   */
  lastSeenMs: number | null
  active: boolean
  /** Disconnected by a stopping gateway: moving, not lost, until this receive time (absent: not moving). */
  movingUntilMs?: number | undefined
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
      movingUntilMs: z.number().optional(),
    }),
    initialState: () => ({ lastSeenMs: null, active: false }),
    onMessage(state, message, device): RuleStep<MissingDataState> {
      // Receive time: a backlog drained late, or a device clock off by minutes, changes nothing here.
      const lastSeenMs = Math.max(state.lastSeenMs ?? message.rxMs, message.rxMs)
      const back = { lastSeenMs, active: false }
      if (!state.active) return { state: back }
      const silenceMs = state.lastSeenMs === null ? 0 : Math.max(0, message.rxMs - state.lastSeenMs)
      return {
        state: back,
        signal: {
          active: false,
          value: silenceMs / 1000,
          limit: timeoutFor(device.deviceType) / 1000,
          tsMs: message.rxMs,
          message: `Messages again after ${formatDuration(silenceMs)} of silence`,
        },
      }
    },
    onTime(state, clockMs, device): RuleStep<MissingDataState> {
      if (state.active || state.lastSeenMs === null) return { state }
      const timeoutMs = timeoutFor(device.deviceType)
      // Moving between gateways (a graceful stop): silence counts only once the grace period is over.
      const graceEnd = state.movingUntilMs ?? Number.NEGATIVE_INFINITY
      if (clockMs - state.lastSeenMs <= timeoutMs || clockMs <= graceEnd) return { state }
      // The deadline, not the clock that revealed it: the same time however often advance() runs.
      const deadline = Math.max(state.lastSeenMs + timeoutMs, graceEnd)
      const moved = state.movingUntilMs !== undefined
      return {
        state: { lastSeenMs: state.lastSeenMs, active: true },
        signal: raised(
          deadline,
          deadline - state.lastSeenMs,
          timeoutMs,
          moved
            ? `Not back ${formatDuration(deadline - state.lastSeenMs)} after its gateway stopped (communication loss)`
            : `No message for more than ${formatDuration(timeoutMs)} (communication loss)`,
        ),
      }
    },
    onResume(state, { atMs, graceMs }): RuleStep<MissingDataState> {
      // Nobody could hear the device while ingress was down: its timer starts again at the
      // resume, and it gets the time a fleet needs to reconnect (moving, like a graceful stop).
      if (state.active || state.lastSeenMs === null || state.lastSeenMs >= atMs) return { state }
      const movingUntilMs = Math.max(state.movingUntilMs ?? 0, atMs + graceMs)
      return { state: { ...state, lastSeenMs: atMs, movingUntilMs } }
    },
    onLifecycle(state, input, device): RuleStep<MissingDataState> {
      // A reconnect alone clears nothing and ends no grace period: the next message does (the
      // device may reconnect and still send nothing).
      if (input.event !== 'disconnected' || state.active) return { state }
      if (input.reason === 'gateway_shutdown') {
        // A graceful stop is not an outage (issue #9): the device gets the grace period to come back.
        const movingUntilMs = input.atMs + (input.graceMs ?? 0)
        return { state: { ...state, movingUntilMs: Math.max(state.movingUntilMs ?? 0, movingUntilMs) } }
      }
      if (!config.raiseOnDisconnect) return { state }
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
  summary:
    'Communication loss: no message for k × the expected interval (gateway receive time), or a disconnect.',
  configSchema: missingDataConfigSchema,
  create: (config) => createMissingDataLogic(config),
}
