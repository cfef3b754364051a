import type { RuleRow, ScenarioRow, ScoreResult } from './match.js'

const pct = (n: number | null): string => (n === null ? '–' : `${Math.round(n * 100)} %`)

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(headers), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n')
}

function scenarioCells(r: ScenarioRow): string[] {
  const delay = r.delayS
    ? r.delayS.min === r.delayS.max
      ? `${r.delayS.min}`
      : `${r.delayS.min}–${r.delayS.max}`
    : '–'
  const u = r.unwantedPerDeviceHour
  return [
    r.scenario,
    String(r.devices),
    String(r.conditions),
    `${r.alarmed} (${pct(r.sensitivity)})`,
    `${r.withinDelay}`,
    r.timeToAlarmS ? `${r.timeToAlarmS.median} / ${r.timeToAlarmS.max}` : '–',
    delay,
    `${u.high} / ${u.medium} / ${u.low}`,
    `${r.unwantedByKind.physiological + r.unwantedByKind.score} / ${r.unwantedByKind.technical}`,
    String(r.flaps),
  ]
}

const ruleCells = (r: RuleRow): string[] => [
  r.ruleId,
  r.priority,
  String(r.delayS),
  String(r.conditions),
  String(r.alarmed),
  String(r.withinDelay),
  r.timeToAlarmMaxS === null ? '–' : String(r.timeToAlarmMaxS),
  r.verdict,
  r.why ?? '',
]

/** The human form: one row per scenario, one per rule and priority, the misses, and the two checks. */
export function formatScore(result: ScoreResult, notes: readonly string[] = []): string {
  const parts = [
    table(
      [
        'scenario',
        'devices',
        'injected',
        'alarmed',
        '≤ delay+1 s',
        'time to alarm s (median / max)',
        'delay s',
        'unwanted /device-h (high / med / low)',
        'unwanted phys / tech',
        'flaps',
      ],
      result.scenarios.map(scenarioCells),
    ),
    '',
    table(
      [
        'rule',
        'priority',
        'delay s',
        'injected',
        'alarmed',
        '≤ delay+1 s',
        'max time to alarm s',
        'verdict',
        'why',
      ],
      result.rules.map(ruleCells),
    ),
  ]
  const unwanted = result.alarms.filter((a) => a.class === 'unwanted')
  if (unwanted.length > 0) {
    const counts = new Map<string, number>()
    for (const a of unwanted) {
      const key = `${a.scenario}: ${a.ruleId} ${a.priority} (${a.kind})`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    parts.push('', 'Unwanted alarms (no injected condition of that rule and priority):')
    for (const [key, n] of [...counts].sort()) parts.push(`  ${key} × ${n}`)
  }
  const { deteriorations: d, artefactHigh: a } = result.checks
  parts.push(
    '',
    `${d.pass ? 'PASS' : 'FAIL'}  injected deteriorations alarmed within condition delay + 1 s: ${d.withinDelay}/${d.total}`,
    `${a.pass ? 'PASS' : 'FAIL'}  high-priority alarms on artefact-only devices (${a.devices}): ${a.high}`,
  )
  for (const note of notes) parts.push(`note: ${note}`)
  return `${parts.join('\n')}\n`
}
