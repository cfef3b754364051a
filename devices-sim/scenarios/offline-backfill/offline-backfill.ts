import { z } from 'zod'
import type { Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import { ALL_DEVICE_TYPES, eventFactory, eventsBetween, isActive, startAfterSchema } from '../timeline.js'

export const offlineBackfillConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(60_000),
  durationMs: z.number().int().positive().default(120_000).describe('How long the device is offline, ms.'),
  backfill: z
    .boolean()
    .default(true)
    .describe('Store and forward: send the buffered readings with backfill=true after reconnecting.'),
})
export type OfflineBackfillConfig = z.output<typeof offlineBackfillConfigSchema>

const NAME = 'offline-backfill'

/**
 * A connectivity gap followed by a backfill burst (domain.md §4 "Missing heartbeat / offline",
 * §7 item 10): the pipeline must raise DEVICE_OFFLINE, then accept late data without paging on it.
 */
export function createOfflineBackfill(context: ScenarioContext<OfflineBackfillConfig>): ScenarioInstance {
  const { config } = context
  const startMs = context.startMs + config.startAfterMs
  const window = { startMs, endMs: startMs + config.durationMs }
  const event = eventFactory(context.deviceId, NAME)
  const events = [
    event(window.startMs, 'offline-start', { backfill: config.backfill }),
    event(window.endMs, 'offline-end', { backfill: config.backfill }),
  ]
  return {
    signal: () => ({}),
    transport: (nowMs) => (isActive(window, nowMs) ? { offline: true, backfill: config.backfill } : {}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const offlineBackfillScenario: Scenario<OfflineBackfillConfig> = {
  type: NAME,
  summary: 'Device offline for 2 min, buffering readings, then a backfill burst on reconnect.',
  appliesTo: ALL_DEVICE_TYPES,
  configSchema: offlineBackfillConfigSchema,
  create: createOfflineBackfill,
}
