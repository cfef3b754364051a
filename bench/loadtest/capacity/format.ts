import { SHARES, type CpuShares } from './measure.js'
import type { CapacityResult, StepResult } from './search.js'

const rate = (r: number): string => Math.round(r).toLocaleString('en-US')

/** One block per step: the verdict, then a pass/fail line per SLO check. */
export function formatStep(index: number, step: StepResult, samples: number, cpu?: CpuShares): string[] {
  const verdict = step.phase === 'warm-up' ? 'warm-up (not judged)' : step.pass ? 'PASS' : 'FAIL'
  const lines = [
    `step ${index + 1} ${step.phase} ${rate(step.ratePerSec)} msg/s × ${samples} readings: ${verdict}`,
  ]
  for (const c of step.checks) lines.push(`  ${c.pass ? 'pass' : 'FAIL'}  ${c.name.padEnd(15)} ${c.detail}`)
  if (cpu) {
    const others = new Set<string>([...SHARES.servers, ...SHARES.generator])
    const own = Object.entries(cpu.perProcess).filter(([name]) => !others.has(name))
    lines.push(
      `  cpu µs/msg  own ${own.reduce((a, [, v]) => a + v, 0)} (${own.map(([n, v]) => `${n} ${v}`).join(', ')}); ` +
        `servers ${cpu.servers} (${SHARES.servers
          .map((n) => `${n} ${cpu.perProcess[n] ?? 'not measured'}`)
          .join(', ')}); generator ${cpu.generator}`,
    )
  }
  return lines
}

export function formatVerdict(result: Omit<CapacityResult, 'steps'>, samples: number): string {
  const readings = (r: number): string => `${rate(r * samples)} readings/s`
  const cut = result.stoppedBecause === 'interrupted' ? ' (search interrupted)' : ''
  if (result.sustainedRate === null && result.firstFailingRate === null) {
    return 'sustained capacity: not known — the search was interrupted before a judged step'
  }
  if (result.sustainedRate === null) {
    return `sustained capacity: none${cut} — the first judged step (${rate(result.firstFailingRate ?? 0)} msg/s) failed the SLO`
  }
  const upper =
    result.firstFailingRate === null
      ? `the search stopped at its maximum rate (${result.stoppedBecause})`
      : `${rate(result.firstFailingRate)} msg/s failed`
  return (
    `sustained capacity: ${rate(result.sustainedRate)} msg/s × ${samples} = ${readings(result.sustainedRate)} ` +
    `under the SLO; ${upper}${cut}`
  )
}
