import { z } from 'zod'
import { KNOWN_DEVICE_TYPES } from '../../core/telemetry/device-types.js'
import type { DeviceType } from '../../core/telemetry/envelope.js'
import type { Rng } from '../rng.js'
import type { GroundTruthEvent } from './scenario.js'

/** Every real device type: transport faults apply to all of them. */
export const ALL_DEVICE_TYPES: readonly DeviceType[] = KNOWN_DEVICE_TYPES

/** A half-open interval [startMs, endMs) of true time. */
export interface Episode {
  startMs: number
  endMs: number
}

export const isActive = (episode: Episode, tMs: number): boolean =>
  tMs >= episode.startMs && tMs < episode.endMs

/** The episode containing tMs, by binary search over sorted, non-overlapping episodes. */
export function activeEpisode<E extends Episode>(episodes: readonly E[], tMs: number): E | undefined {
  let low = 0
  let high = episodes.length - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    const episode = episodes[mid] as E
    if (tMs < episode.startMs) high = mid - 1
    else if (tMs >= episode.endMs) low = mid + 1
    else return episode
  }
  return undefined
}

/** Events with fromMs < atMs <= toMs (the ScenarioInstance contract), from a time-sorted list. */
export function eventsBetween(
  events: readonly GroundTruthEvent[],
  fromMs: number,
  toMs: number,
): GroundTruthEvent[] {
  return events.filter((e) => e.atMs > fromMs && e.atMs <= toMs)
}

export type EventDetail = GroundTruthEvent['detail']

/** Builds this scenario's ground-truth records for one device. */
export function eventFactory(
  deviceId: string,
  scenario: string,
): (atMs: number, event: string, detail?: EventDetail) => GroundTruthEvent {
  return (atMs, event, detail) =>
    detail ? { atMs, deviceId, scenario, event, detail } : { atMs, deviceId, scenario, event }
}

export const uniform = (rng: Rng, [low, high]: readonly [number, number]): number =>
  low + rng.next() * (high - low)

/** A `[min, max]` config pair, validated min ≤ max. */
export function rangeSchema(
  min: number,
  max: number,
  fallback: readonly [number, number],
  description: string,
) {
  return z
    .tuple([z.number().min(min).max(max), z.number().min(min).max(max)])
    .refine(([low, high]) => low <= high, 'the first number (min) must not exceed the second (max)')
    .default([fallback[0], fallback[1]])
    .describe(description)
}

export const startAfterSchema = (fallbackMs: number) =>
  z.number().int().min(0).default(fallbackMs).describe('Delay from the scenario start to onset, ms.')

/** Optional end: null = lasts until the run ends. */
export const openDurationSchema = () =>
  z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('How long it lasts, ms; null = until the run ends.')

export interface EpisodePlan {
  fromMs: number
  untilMs: number
  /** Start-to-start interval [min, max]; never shorter than the episode itself plus a second. */
  intervalMs: readonly [number, number]
}

/**
 * Random repeated episodes starting at fromMs, drawn once at create() so that the instance stays
 * a pure function of time. `draw` builds one episode (its length and any other random traits).
 */
export function planEpisodes<E extends Episode>(
  rng: Rng,
  plan: EpisodePlan,
  draw: (startMs: number) => E,
): E[] {
  const episodes: E[] = []
  let startMs = plan.fromMs
  while (startMs < plan.untilMs) {
    const episode = draw(startMs)
    episodes.push(episode)
    startMs = Math.max(startMs + Math.round(uniform(rng, plan.intervalMs)), episode.endMs + 1000)
  }
  return episodes
}
