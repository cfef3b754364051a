import { runCapacitySearch, type CapacityReport } from './loadtest/capacity/run-capacity.js'
import { formatStep } from './loadtest/capacity/format.js'
import type { LoadTarget } from './loadtest/target.js'
import type { LoadtestOptions } from './loadtest/options.js'

/**
 * Sustained capacity of several targets from one run (issue #11): one search per (target,
 * readings per message), their steps taking turns on the machine (first come, first served),
 * so a noisy minute falls on every target alike rather than on whichever ran then.
 */
export interface CapacityComparison {
  reports: Array<{ target: string; samples: number; report?: CapacityReport; error?: string }>
}

export async function compareCapacity(options: {
  targets: Record<string, (o: LoadtestOptions) => LoadTarget>
  samples: readonly number[]
  loadInput: Record<string, unknown>
  capacityInput: Record<string, unknown>
  command: string
  signal: AbortSignal
  log: (line: string) => void
}): Promise<CapacityComparison> {
  let turn: Promise<void> = Promise.resolve()
  const takeTurn = async (): Promise<() => void> => {
    let release: () => void = () => undefined
    const previous = turn
    turn = new Promise<void>((resolve) => (release = resolve))
    await previous
    return release
  }
  const searches = options.samples.flatMap((samples) =>
    Object.entries(options.targets).map(async ([name, newTarget]) => {
      try {
        const report = await runCapacitySearch(
          { ...options.loadInput, samples },
          options.capacityInput,
          newTarget, // built when the step's turn has come: the search awaits the turn first
          {
            command: options.command,
            signal: options.signal,
            log: (line) => options.log(`[${name} ×${samples}] ${line}`),
            onStep: (i, step) => {
              for (const line of formatStep(i, step, samples, step.cpu))
                options.log(`[${name} ×${samples}] ${line}`)
            },
            beforeStep: takeTurn,
          },
        )
        return { target: name, samples, report }
      } catch (err) {
        return { target: name, samples, error: err instanceof Error ? err.message : String(err) }
      }
    }),
  )
  return { reports: await Promise.all(searches) }
}
