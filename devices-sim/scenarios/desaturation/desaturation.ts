import { z } from 'zod'
import type { Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import {
  activeEpisode,
  eventFactory,
  eventsBetween,
  planEpisodes,
  rangeSchema,
  startAfterSchema,
  uniform,
  type Episode,
} from '../timeline.js'

export const desaturationConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: z
    .number()
    .int()
    .positive()
    .default(6 * 3_600_000)
    .describe('How long dips keep coming, ms (a night of sleep apnoea).'),
  baselineSpo2: z
    .number()
    .min(80)
    .max(100)
    .default(97)
    .describe(
      'SpO2 the dips start from, %: an override replaces the modelled value, so the depth needs a reference.',
    ),
  dipDepth: rangeSchema(
    1,
    50,
    [4, 15],
    'Dip depth below baseline, % points [min, max] (domain.md §1.4: 4–15).',
  ),
  dipDurationMs: rangeSchema(
    1000,
    600_000,
    [20_000, 60_000],
    'Time at/near the nadir, ms [min, max] (§1.4: 20–60 s).',
  ),
  recoveryMs: rangeSchema(
    0,
    300_000,
    [10_000, 30_000],
    'Recovery back to baseline, ms [min, max] (§1.4: 10–30 s).',
  ),
  intervalMs: rangeSchema(
    10_000,
    3_600_000,
    [60_000, 180_000],
    'Dip start to next dip start, ms [min, max] (§1.4).',
  ),
  episodes: z
    .array(
      z.strictObject({
        atMs: z.number().int().min(0).describe('Dip start after onset, ms.'),
        depth: z.number().positive().max(50).describe('Depth below baseline, % points.'),
        durationMs: z.number().int().positive().describe('Time at/near the nadir, ms.'),
        recoveryMs: z.number().int().min(0).default(15_000).describe('Recovery to baseline, ms.'),
      }),
    )
    .default([])
    .describe(
      'Fixed dips instead of random ones (when non-empty; durationMs and the ranges are then ignored).',
    ),
})
export type DesaturationConfig = z.output<typeof desaturationConfigSchema>

interface Dip extends Episode {
  depth: number
  /** End of the plateau at the nadir; recovery runs from here to endMs. */
  plateauEndMs: number
  descentMs: number
}

const NAME = 'desaturation'

/**
 * Obstructive-sleep-apnoea-like desaturation clusters (domain.md §1.4, §7 item 4): SpO2 falls to
 * baseline − depth, stays, then recovers. Physiological, so the quality stays the profile's
 * 'valid' (no quality effect, which would also mask a concurrent probe-off).
 */
export function createDesaturation(context: ScenarioContext<DesaturationConfig>): ScenarioInstance {
  const { config, rng } = context
  const onsetMs = context.startMs + config.startAfterMs
  const toDip = (startMs: number, depth: number, durationMs: number, recoveryMs: number): Dip => ({
    startMs,
    depth,
    descentMs: durationMs / 4,
    plateauEndMs: startMs + durationMs,
    endMs: startMs + durationMs + recoveryMs,
  })
  const dips: Dip[] =
    config.episodes.length > 0
      ? config.episodes
          .map((e) => toDip(onsetMs + e.atMs, e.depth, e.durationMs, e.recoveryMs))
          .sort((a, b) => a.startMs - b.startMs)
      : planEpisodes(
          rng,
          { fromMs: onsetMs, untilMs: onsetMs + config.durationMs, intervalMs: config.intervalMs },
          (startMs) =>
            toDip(
              startMs,
              uniform(rng, config.dipDepth),
              Math.round(uniform(rng, config.dipDurationMs)),
              Math.round(uniform(rng, config.recoveryMs)),
            ),
        )

  /** Fraction of the depth reached at tMs: linear descent, plateau, linear recovery. */
  const shape = (dip: Dip, tMs: number): number => {
    if (tMs < dip.startMs + dip.descentMs) return (tMs - dip.startMs) / dip.descentMs
    if (tMs < dip.plateauEndMs) return 1
    return 1 - (tMs - dip.plateauEndMs) / (dip.endMs - dip.plateauEndMs)
  }
  const event = eventFactory(context.deviceId, NAME)
  const events = dips.flatMap((dip) => {
    const nadir = Math.round(config.baselineSpo2 - dip.depth)
    return [
      event(dip.startMs, 'desaturation-start', { nadir, durationMs: dip.endMs - dip.startMs }),
      event(dip.endMs, 'desaturation-end', { nadir }),
    ]
  })

  return {
    signal(nowMs) {
      const dip = activeEpisode(dips, nowMs)
      if (!dip) return {}
      return { overrides: { spo2: config.baselineSpo2 - dip.depth * shape(dip, nowMs) } }
    },
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const desaturationScenario: Scenario<DesaturationConfig> = {
  type: NAME,
  summary: 'Repeated SpO2 dips of 4–15 % for 20–60 s every 1–3 min (sleep apnoea clusters).',
  appliesTo: ['bedside-monitor', 'wearable'],
  configSchema: desaturationConfigSchema,
  create: createDesaturation,
}
