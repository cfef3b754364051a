import { z } from 'zod'
import type { Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import {
  activeEpisode,
  eventFactory,
  eventsBetween,
  planEpisodes,
  rangeSchema,
  startAfterSchema,
  type Episode,
} from '../timeline.js'

export const motionArtefactConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: z.number().int().positive().default(3_600_000).describe('How long artefacts keep coming, ms.'),
  artefactSpo2: z
    .number()
    .min(0)
    .max(100)
    .default(82)
    .describe('False SpO2 reading during an artefact, % (domain.md §1.4: dips to 82 %).'),
  jitter: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(2)
    .describe('Per-artefact variation of that reading, ± % points.'),
  artefactDurationMs: rangeSchema(1000, 60_000, [8000, 8000], 'Artefact length, ms [min, max] (§1.4: 8 s).'),
  intervalMs: rangeSchema(
    10_000,
    3_600_000,
    [120_000, 600_000],
    'Artefact start to next start, ms [min, max].',
  ),
})
export type MotionArtefactConfig = z.output<typeof motionArtefactConfigSchema>

interface Artefact extends Episode {
  spo2: number
}

const NAME = 'motion-artefact'

/**
 * The artefact-only "false alarm" of domain.md §1.4: SpO2 reads ~82 % with quality 'motion' for
 * ~8 s while HR and RR are untouched. Ground truth marks it non-physiological: it must never
 * reach HIGH priority (alarm-fatigue test case, §0 item 1).
 */
export function createMotionArtefact(context: ScenarioContext<MotionArtefactConfig>): ScenarioInstance {
  const { config, rng } = context
  const onsetMs = context.startMs + config.startAfterMs
  const artefacts = planEpisodes(
    rng,
    { fromMs: onsetMs, untilMs: onsetMs + config.durationMs, intervalMs: config.intervalMs },
    (startMs): Artefact => {
      const lengthMs = rng.int(config.artefactDurationMs[0], config.artefactDurationMs[1])
      const spo2 = Math.min(100, Math.max(0, config.artefactSpo2 + rng.int(-config.jitter, config.jitter)))
      return { startMs, endMs: startMs + lengthMs, spo2 }
    },
  )
  const event = eventFactory(context.deviceId, NAME)
  const events = artefacts.map((a) =>
    event(a.startMs, 'motion-artefact', {
      physiological: false,
      spo2: a.spo2,
      durationMs: a.endMs - a.startMs,
    }),
  )
  return {
    signal(nowMs) {
      const artefact = activeEpisode(artefacts, nowMs)
      return artefact ? { overrides: { spo2: artefact.spo2 }, quality: { spo2: 'motion' } } : {}
    },
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const motionArtefactScenario: Scenario<MotionArtefactConfig> = {
  type: NAME,
  summary: 'Repeated motion artefact: SpO2 reads ~82 % for ~8 s with quality motion; HR and RR unchanged.',
  appliesTo: ['bedside-monitor', 'wearable'],
  configSchema: motionArtefactConfigSchema,
  create: createMotionArtefact,
}
