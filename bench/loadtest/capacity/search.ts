import { judgeStep, stepPasses, type CapacitySlo, type SloCheck, type StepMeasure } from './slo.js'

/**
 * The search for sustained capacity: a ladder of rising rates until one fails the SLO, then a
 * bisection between the last rate that held and the first that did not, until they are within
 * `resolution` of each other. A warm-up step runs first and is never judged: the first run on a
 * cold stack (JIT, page cache, the previous run's compactions) would otherwise decide the
 * answer (issue #11 measured swings of 100× between a cold and a warm round).
 */
export interface SearchOptions {
  startRate: number
  maxRate: number
  /** Each ladder step multiplies the rate by this. */
  ladderFactor: number
  /** Stop bisecting when (fail − pass) / pass is below this. */
  resolution: number
  /** The warm-up step's rate; 0 = no warm-up. */
  warmUpRate: number
  maxSteps: number
  /**
   * Ladder steps tried above a failing first step before there is "no capacity". A store that
   * batches by size or time (a client's batch of 1,000 points or its flush interval) is slower
   * at low rates than at higher ones, so a failure at the bottom does not yet mean one above.
   */
  climbPastFailures: number
}

export interface StepResult {
  phase: 'warm-up' | 'ladder' | 'bisect'
  ratePerSec: number
  measure: StepMeasure
  checks: SloCheck[]
  pass: boolean
}

export interface CapacityResult {
  /** Highest rate that passed, msg/s; null when even the first judged step failed. */
  sustainedRate: number | null
  /** The failing rate above the sustained one (or the first failure when none held); null when the ladder reached maxRate passing. */
  firstFailingRate: number | null
  steps: StepResult[]
  /** Why the search stopped. */
  stoppedBecause: 'resolution' | 'max-rate' | 'max-steps' | 'first-step-failed' | 'interrupted'
}

export type RunStep = (ratePerSec: number, phase: StepResult['phase']) => Promise<StepMeasure>

const roundRate = (r: number): number => (r >= 100 ? Math.round(r / 10) * 10 : Math.round(r))

export async function findCapacity(
  options: SearchOptions,
  runStep: RunStep,
  slo?: CapacitySlo,
  onStep: (step: StepResult) => void = () => undefined,
  signal?: AbortSignal,
): Promise<CapacityResult> {
  const steps: StepResult[] = []
  try {
    return await search()
  } catch (err) {
    // Ctrl-C: the steps measured so far stand; the one interrupted is not a measurement (it
    // would read as "0 % acknowledged"), so it is neither judged nor recorded.
    if (err instanceof Interrupted) return { ...answer(), stoppedBecause: 'interrupted' }
    throw err
  }

  async function search(): Promise<CapacityResult> {
    const run = async (rate: number, phase: StepResult['phase']): Promise<StepResult> => {
      if (signal?.aborted) throw new Interrupted()
      const measure = await runStep(rate, phase)
      if (signal?.aborted) throw new Interrupted()
      const checks = judgeStep(measure, slo)
      const step = { phase, ratePerSec: rate, measure, checks, pass: stepPasses(checks) }
      steps.push(step)
      onStep(step)
      return step
    }
    if (options.warmUpRate > 0) await run(roundRate(options.warmUpRate), 'warm-up')

    let pass: number | null = null
    let fail: number | null = null
    let rate = roundRate(options.startRate)
    const judged = (): number => steps.filter((s) => s.phase !== 'warm-up').length
    let failuresBelow = 0
    for (;;) {
      if (judged() >= options.maxSteps) return done('max-steps')
      const step = await run(rate, 'ladder')
      if (step.pass) pass = rate
      else if (pass !== null) {
        fail = rate
        break
      } else {
        fail ??= rate
        failuresBelow++
        if (failuresBelow > options.climbPastFailures) return done('first-step-failed')
      }
      if (rate >= options.maxRate) return done(pass === null ? 'first-step-failed' : 'max-rate')
      rate = roundRate(Math.min(options.maxRate, rate * options.ladderFactor))
    }
    if (pass === null) return done('first-step-failed')
    while ((fail - pass) / pass > options.resolution) {
      if (judged() >= options.maxSteps) return done('max-steps')
      const mid = roundRate((pass + fail) / 2)
      if (mid <= pass || mid >= fail) break
      const step = await run(mid, 'bisect')
      if (step.pass) pass = mid
      else fail = mid
    }
    return done('resolution')

    function done(stoppedBecause: CapacityResult['stoppedBecause']): CapacityResult {
      return { sustainedRate: pass, firstFailingRate: fail, steps, stoppedBecause }
    }
  }

  /** What the judged steps so far say, for an interrupted search. */
  function answer(): Omit<CapacityResult, 'stoppedBecause'> {
    const judged = steps.filter((s) => s.phase !== 'warm-up')
    const passed = judged.filter((s) => s.pass).map((s) => s.ratePerSec)
    const sustainedRate = passed.length > 0 ? Math.max(...passed) : null
    const failing = judged.filter((s) => !s.pass && (sustainedRate === null || s.ratePerSec > sustainedRate))
    const firstFailingRate = failing.length > 0 ? Math.min(...failing.map((s) => s.ratePerSec)) : null
    return { sustainedRate, firstFailingRate, steps }
  }
}

class Interrupted extends Error {}
