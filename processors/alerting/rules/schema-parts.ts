import { z } from 'zod'
import { METRIC_NAMES, METRICS, type MetricName } from '../../../core/telemetry/metric-registry.js'

/** Config pieces every rule type shares, so one word means one thing in every rule file. */

export const PRIORITIES = ['low', 'medium', 'high'] as const
export type Priority = (typeof PRIORITIES)[number]

/** Order of urgency (domain.md §2.1). */
export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p)

export const prioritySchema = (fallback: Priority, what: string) =>
  z
    .enum(PRIORITIES)
    .default(fallback)
    .describe(`IEC 60601-1-8 priority of ${what}: low, medium or high (domain.md §2.1).`)

export const metricSchema = (what: string) =>
  z.enum(METRIC_NAMES).describe(`Metric ${what} (core/telemetry/metric-registry.ts).`)

export const durationSchema = (fallback: number, what: string) =>
  z.number().int().min(0).default(fallback).describe(`${what}, ms of event time.`)

export const kindSchema = z
  .enum(['physiological', 'technical'])
  .default('physiological')
  .describe(
    'physiological (a patient variable; only valid samples count) or technical (equipment, environment, machine condition; never latching). Industrial process alarms use technical (domain.md §2.2).',
  )

export type RefinementContext = z.core.$RefinementCtx<unknown>

/** Adds an issue when a value lies outside the metric's measurement range (it could never be crossed). */
export function checkInRange(
  ctx: RefinementContext,
  metric: MetricName,
  value: number,
  path: (string | number)[],
): void {
  const [min, max] = METRICS[metric].range
  if (value < min || value > max) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${value} is outside the measurement range of ${metric} [${min}, ${max}]`,
    })
  }
}
