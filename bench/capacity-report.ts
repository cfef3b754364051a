import type { CapacityComparison } from './capacity-compare.js'
import type { CapacityStepRecord } from './loadtest/capacity/run-capacity.js'

const n = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits })

/**
 * The capacity section of bench/RESULTS.md: sustained capacity per target and readings per
 * message side by side, what each costs per message at that rate, the ratio to each peer, and
 * every step with the checks it failed.
 */
export function renderCapacity(input: {
  comparison: CapacityComparison
  command: string
  machine: string
  resultFile: string
  when: string
  /** Markdown image lines (bench/report/compare-images.ts), shown under the table. */
  images?: readonly string[]
}): string {
  const rows = input.comparison.reports
  const sustainedStep = (steps: readonly CapacityStepRecord[], rate: number | null) =>
    rate === null ? undefined : steps.find((s) => s.phase !== 'warm-up' && s.pass && s.ratePerSec === rate)
  const lines = [
    `### Sustained capacity under the latency SLO (${input.when})`,
    '',
    `Command: \`${input.command}\`. Machine: ${input.machine}. Every step is a whole run judged on its steady window: ` +
      '≥ 99.9 % acknowledged, PUBACK p99 ≤ 100 ms, visible in InfluxDB p99 ≤ 1 s, alert emitted p99 ≤ 250 ms (targets ' +
      'with alerting), consumer lag ≤ 1 s of load, 0 lost, no alarm caused by the load, generator on schedule. ' +
      `Steps of the targets took turns on the machine. Raw results: \`${input.resultFile}\`.`,
    '',
    '| target | readings/msg | sustained msg/s | readings/s | failing above | PUBACK p99 | visible p99 | alert p99 | CPU µs/msg: own / servers / generator |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: |',
  ]
  for (const row of rows) {
    const r = row.report
    if (!r) {
      lines.push(`| ${row.target} | ${row.samples} | failed: ${row.error ?? '?'} | | | | | | |`)
      continue
    }
    const step = sustainedStep(r.steps, r.result.sustainedRate)
    const m = step?.measure
    lines.push(
      `| ${row.target} | ${row.samples} | ${n(r.result.sustainedRate)} | ${n(
        r.result.sustainedRate === null ? null : r.result.sustainedRate * row.samples,
      )} | ${n(r.result.firstFailingRate)} | ${n(m?.pubackP99Ms, 1)} ms | ${n(m?.influxVisibleP99Ms)} ms | ${
        m === undefined ? '–' : m.alerting ? `${n(m.alertP99Ms)} ms` : 'n/a'
      } | ${step ? cpuCell(step) : '–'} |`,
    )
  }
  const ratios = ratioLines(input.comparison)
  if (ratios.length > 0) lines.push('', ...ratios)
  if (input.images && input.images.length > 0) lines.push('', ...input.images)
  lines.push(
    '',
    '| target | readings/msg | step | msg/s | verdict | failed checks |',
    '| --- | --: | --- | --: | --- | --- |',
  )
  for (const row of rows) {
    for (const step of row.report?.steps ?? []) {
      const failed = step.checks.filter((c) => !c.pass).map((c) => `${c.name} (${c.detail})`)
      lines.push(
        `| ${row.target} | ${row.samples} | ${step.phase} | ${n(step.ratePerSec)} | ${
          step.phase === 'warm-up' ? 'not judged' : step.pass ? 'PASS' : 'FAIL'
        } | ${failed.join('; ') || '–'} |`,
      )
    }
  }
  return lines.join('\n')
}

/** The target's own processes (gateway, storage, alerting; or the peer's), the servers, the generator. */
const cpuCell = (step: CapacityStepRecord): string =>
  `${step.cpu.total - step.cpu.servers - step.cpu.generator} / ${step.cpu.servers} / ${step.cpu.generator}`

function ratioLines(comparison: CapacityComparison): string[] {
  const out: string[] = []
  const bySamples = new Map<number, CapacityComparison['reports']>()
  for (const row of comparison.reports)
    bySamples.set(row.samples, [...(bySamples.get(row.samples) ?? []), row])
  for (const [samples, rows] of bySamples) {
    const ours = rows.find((r) => r.target === 'pulsewire')?.report?.result.sustainedRate
    if (ours === undefined) continue
    for (const peer of rows.filter((r) => r.target !== 'pulsewire')) {
      const theirs = peer.report?.result.sustainedRate
      out.push(
        `- ${samples} readings/msg: Pulsewire ${n(ours)} msg/s against ${peer.target} ${n(theirs)} msg/s` +
          (ours !== null && theirs !== null && theirs !== undefined && theirs > 0
            ? ` (${(ours / theirs).toFixed(2)}×)`
            : ' (no ratio: a side has no sustained capacity)'),
      )
    }
  }
  return out
}
