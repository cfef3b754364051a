import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../../../core/errors.js'
import { findRepoRoot } from '../../../core/repo-root.js'
import { runLoadtest, type LoadtestHooks } from '../engine.js'
import { parseLoadtestOptions, type LoadtestOptions } from '../options.js'
import type { LoadReport } from '../report.js'
import type { LoadTarget } from '../target.js'
import { cpuShares, stepMeasure, type CpuShares } from './measure.js'
import { findCapacity, type CapacityResult, type SearchOptions, type StepResult } from './search.js'
import { DEFAULT_SLO, type CapacitySlo } from './slo.js'

export const capacityInputSchema = z.strictObject({
  maxRate: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .default(50_000)
    .describe('Highest rate the ladder tries, msg/s.'),
  ladderFactor: z.coerce
    .number()
    .min(1.1)
    .max(10)
    .default(2)
    .describe('Each ladder step multiplies the rate by this.'),
  resolution: z.coerce
    .number()
    .min(0.01)
    .max(1)
    .default(0.1)
    .describe('Stop bisecting within this fraction.'),
  warmUpRate: z.coerce
    .number()
    .min(0)
    .optional()
    .describe('Rate of the unjudged warm-up step (default: half the start rate).'),
  maxSteps: z.coerce.number().int().min(1).max(50).default(12).describe('Judged steps at most.'),
  climbPastFailures: z.coerce
    .number()
    .int()
    .min(0)
    .max(5)
    .default(2)
    .describe('Ladder steps tried above a failing first step before "no capacity".'),
  steady: z.coerce
    .number()
    .min(60)
    .max(3_600)
    .default(60)
    .describe('Steady window per step, s (the SLO asks ≥ 60).'),
})

export interface CapacityStepRecord extends StepResult {
  cpu: CpuShares
  report: LoadReport
}

export interface CapacityReport {
  kind: 'pulsewire-capacity'
  version: 1
  startedAt: string
  command: string
  slo: CapacitySlo
  search: SearchOptions
  samples: number
  devices: number
  result: Omit<CapacityResult, 'steps'>
  steps: CapacityStepRecord[]
}

export interface CapacityHooks extends Pick<LoadtestHooks, 'onProgress' | 'log' | 'signal' | 'command'> {
  onStep?: (index: number, step: CapacityStepRecord) => void
  /** Waits for the machine before each step and returns its release (the comparison's turns). */
  beforeStep?: () => Promise<() => void>
}

/**
 * `pulsewire loadtest --find-capacity`: the search of capacity/search.ts, each step a whole load
 * test (ramp-up, then the steady window the SLO is judged on) against a fresh target, so one
 * step's backlog cannot spill into the next. The local stack's background work between steps
 * (InfluxDB compactions, log cleaning) is measured with it: its CPU counts in each step.
 */
export async function runCapacitySearch(
  loadInput: Record<string, unknown>,
  capacityInput: Record<string, unknown>,
  newTarget: (options: LoadtestOptions) => LoadTarget,
  hooks: CapacityHooks = {},
): Promise<CapacityReport> {
  const parsed = capacityInputSchema.safeParse(
    Object.fromEntries(Object.entries(capacityInput).filter(([, v]) => v !== undefined)),
  )
  if (!parsed.success) {
    throw new ConfigError(
      'loadtest --find-capacity options',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    )
  }
  const c = parsed.data
  const rampUp = Number(loadInput.rampUp ?? 10)
  const stepInput = (rate: number): Record<string, unknown> => ({
    ...loadInput,
    rate,
    rampUp,
    duration: rampUp + c.steady,
  })
  const first = parseLoadtestOptions(stepInput(Number(loadInput.rate ?? 1_000)))
  if (first.qos !== 1) {
    throw new ConfigError('loadtest --find-capacity options', [
      { path: '--qos', message: 'capacity is judged on acknowledged readings: QoS 1 only' },
    ])
  }
  if (first.faults.length > 0) {
    throw new ConfigError('loadtest --find-capacity options', [
      { path: '--fault', message: 'a capacity search injects no faults' },
    ])
  }
  // The highest rate must leave each device a distinct millisecond per reading: check it up front.
  parseLoadtestOptions(stepInput(c.maxRate))
  const search: SearchOptions = {
    startRate: first.ratePerSec,
    maxRate: c.maxRate,
    ladderFactor: c.ladderFactor,
    resolution: c.resolution,
    warmUpRate: c.warmUpRate ?? first.ratePerSec / 2,
    maxSteps: c.maxSteps,
    climbPastFailures: c.climbPastFailures,
  }
  const startedAt = new Date().toISOString()
  const records: CapacityStepRecord[] = []
  const reports: LoadReport[] = []
  const result = await findCapacity(
    search,
    async (rate) => {
      const options = parseLoadtestOptions(stepInput(rate))
      const release = (await hooks.beforeStep?.()) ?? (() => undefined)
      try {
        const report = await runLoadtest(options, newTarget(options), hooks)
        reports.push(report)
        return stepMeasure(report)
      } finally {
        release()
      }
    },
    DEFAULT_SLO,
    (step) => {
      const report = reports[reports.length - 1] as LoadReport
      const record = { ...step, cpu: cpuShares(report.resources), report }
      records.push(record)
      hooks.onStep?.(records.length - 1, record)
    },
    hooks.signal,
  )
  const summary = {
    sustainedRate: result.sustainedRate,
    firstFailingRate: result.firstFailingRate,
    stoppedBecause: result.stoppedBecause,
  }
  return {
    kind: 'pulsewire-capacity',
    version: 1,
    startedAt,
    command: hooks.command ?? process.argv.join(' '),
    slo: DEFAULT_SLO,
    search,
    samples: first.samples,
    devices: first.devices,
    result: summary,
    steps: records,
  }
}

export function writeCapacityReport(report: CapacityReport, out?: string): string {
  const stamp = report.startedAt.slice(0, 19).replaceAll(':', '')
  const file = out ?? join(findRepoRoot(import.meta.url), 'bench/results', `capacity-${stamp}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}
