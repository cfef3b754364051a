import { z } from 'zod'
import type { GroundTruthEvent, Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import { eventFactory, eventsBetween, isActive, openDurationSchema, startAfterSchema } from '../timeline.js'

const HOUR_MS = 3_600_000

export const batteryDeclineConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: openDurationSchema(),
  batteryDrainPerHour: z
    .number()
    .positive()
    .default(30)
    .describe('Extra drain, percentage points per hour, on top of the profile’s own.'),
  assumedStartPct: z
    .number()
    .min(0)
    .max(100)
    .default(100)
    .describe('Battery level assumed at onset, only to time the estimated 20 %/10 % ground-truth events.'),
})
export type BatteryDeclineConfig = z.output<typeof batteryDeclineConfigSchema>

const NAME = 'battery-decline'
/** LOW at 20 %, CRITICAL at 5–10 % (domain.md §4 "Battery low"). */
const THRESHOLDS = [20, 10] as const

/**
 * Fast battery decline (domain.md §4, §7 item 6). The scenario cannot see the profile's battery,
 * so the threshold crossings are estimates from `assumedStartPct` and the extra drain alone
 * (marked estimated: the profile's own slow drain makes them come slightly earlier).
 */
export function createBatteryDecline(context: ScenarioContext<BatteryDeclineConfig>): ScenarioInstance {
  const { config } = context
  const startMs = context.startMs + config.startAfterMs
  const window = { startMs, endMs: config.durationMs === null ? Infinity : startMs + config.durationMs }
  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = [
    event(startMs, 'battery-decline-start', { batteryDrainPerHour: config.batteryDrainPerHour }),
  ]
  for (const threshold of THRESHOLDS) {
    if (config.assumedStartPct <= threshold) continue
    const atMs =
      startMs + Math.round(((config.assumedStartPct - threshold) / config.batteryDrainPerHour) * HOUR_MS)
    if (atMs <= window.endMs) events.push(event(atMs, `battery-below-${threshold}`, { estimated: true }))
  }
  if (Number.isFinite(window.endMs)) events.push(event(window.endMs, 'battery-decline-end'))
  events.sort((a, b) => a.atMs - b.atMs)
  return {
    signal: (nowMs) => (isActive(window, nowMs) ? { batteryDrainPerHour: config.batteryDrainPerHour } : {}),
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const batteryDeclineScenario: Scenario<BatteryDeclineConfig> = {
  type: NAME,
  summary: 'Battery drains fast (default +30 %/h) towards the low and critical thresholds.',
  appliesTo: ['wearable', 'infusion-pump', 'environmental-sensor'],
  configSchema: batteryDeclineConfigSchema,
  create: createBatteryDecline,
}
