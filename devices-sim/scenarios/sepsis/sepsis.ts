import { z } from 'zod'
import type { MetricName } from '../../../core/telemetry/metric-registry.js'
import { delayedProgress, linearProgress, sigmoidProgress } from '../../signals/trend.js'
import { news2 } from '../news2.js'
import type { GroundTruthEvent, Scenario, ScenarioContext, ScenarioInstance } from '../scenario.js'
import { eventFactory, eventsBetween, startAfterSchema } from '../timeline.js'

const fromTo = (fallback: readonly [number, number], description: string) =>
  z
    .tuple([z.number(), z.number()])
    .default([fallback[0], fallback[1]])
    .describe(`${description}: [from, to]; the profile gets the difference as an offset to its baseline.`)

export const sepsisConfigSchema = z.strictObject({
  startAfterMs: startAfterSchema(0),
  durationMs: z
    .number()
    .int()
    .positive()
    .default(6 * 3_600_000)
    .describe('Onset to peak, ms (domain.md §7: 6 h); values then hold at the peak.'),
  temperature: fromTo([37.2, 39.3], 'Body temperature, Cel'),
  heartRate: fromTo([82, 124], 'Heart rate, /min'),
  respirationRate: fromTo([16, 26], 'Respiration rate, /min'),
  systolic: fromTo([124, 88], 'NIBP systolic, mm[Hg]'),
  diastolic: fromTo([76, 52], 'NIBP diastolic, mm[Hg] (MAP ends < 65: septic shock)'),
  spo2: fromTo([97, 93], 'SpO2, %, drifting down only late'),
})
export type SepsisConfig = z.output<typeof sepsisConfigSchema>

const NAME = 'sepsis'
/**
 * Band changes are looked for every minute of a trajectory of hours, and at 1/360 of a compressed
 * one (at least every second), so a sepsis of minutes (the alarm-quality score) dates them to the
 * second rather than to the minute.
 */
const phaseStepMs = (durationMs: number): number =>
  Math.min(60_000, Math.max(1_000, Math.round(durationMs / 360)))

/**
 * Sepsis (domain.md §1.4, §7 item 2): temperature, HR and RR rise first, blood pressure falls
 * late, SpO2 drifts down last. Each parameter follows its own S-curve so the early/late order of
 * §1.4 holds while every one reaches its target exactly at the peak.
 */
export function createSepsis(context: ScenarioContext<SepsisConfig>): ScenarioInstance {
  const { config } = context
  const onsetMs = context.startMs + config.startAfterMs
  const peakMs = onsetMs + config.durationMs
  const tracks: { metric: MetricName; range: readonly [number, number]; shape: (p: number) => number }[] = [
    { metric: 'body_temperature', range: config.temperature, shape: (p) => sigmoidProgress(p, 0.35, 8) },
    { metric: 'heart_rate', range: config.heartRate, shape: (p) => sigmoidProgress(p, 0.4, 8) },
    { metric: 'respiration_rate', range: config.respirationRate, shape: (p) => sigmoidProgress(p, 0.45, 8) },
    { metric: 'nibp_systolic', range: config.systolic, shape: (p) => sigmoidProgress(p, 0.7, 8) },
    { metric: 'nibp_diastolic', range: config.diastolic, shape: (p) => sigmoidProgress(p, 0.7, 8) },
    { metric: 'spo2', range: config.spo2, shape: (p) => delayedProgress(p, 0.6) },
  ]
  const offsetsAt = (tMs: number): Partial<Record<MetricName, number>> => {
    const p = linearProgress(tMs, onsetMs, config.durationMs)
    return Object.fromEntries(tracks.map((t) => [t.metric, (t.range[1] - t.range[0]) * t.shape(p)]))
  }
  // The intended values (the `from` column plus the offsets), scored once per minute.
  const intendedAt = (tMs: number) => {
    const offsets = offsetsAt(tMs)
    const value = (metric: MetricName, range: readonly [number, number]): number =>
      range[0] + (offsets[metric] ?? 0)
    return news2({
      temperature: value('body_temperature', config.temperature),
      heartRate: value('heart_rate', config.heartRate),
      respirationRate: value('respiration_rate', config.respirationRate),
      systolic: value('nibp_systolic', config.systolic),
      spo2: value('spo2', config.spo2),
    })
  }
  const event = eventFactory(context.deviceId, NAME)
  const events: GroundTruthEvent[] = []
  let previous = intendedAt(onsetMs)
  events.push(event(onsetMs, 'sepsis-start', { news2: previous.total, band: previous.band }))
  const stepMs = phaseStepMs(config.durationMs)
  for (let tMs = onsetMs + stepMs; tMs < peakMs; tMs += stepMs) {
    const current = intendedAt(tMs)
    if (current.band !== previous.band)
      events.push(event(tMs, 'sepsis-phase', { news2: current.total, band: current.band }))
    previous = current
  }
  const peak = intendedAt(peakMs)
  events.push(event(peakMs, 'sepsis-peak', { news2: peak.total, band: peak.band }))

  return {
    signal: (nowMs) => (nowMs < onsetMs ? {} : { offsets: offsetsAt(nowMs) }),
    transport: () => ({}),
    events: (fromMs, toMs) => eventsBetween(events, fromMs, toMs),
  }
}

export const sepsisScenario: Scenario<SepsisConfig> = {
  type: NAME,
  summary: 'Sepsis over hours: fever, tachycardia, tachypnoea, then hypotension and late desaturation.',
  appliesTo: ['bedside-monitor', 'wearable'],
  configSchema: sepsisConfigSchema,
  create: createSepsis,
}
