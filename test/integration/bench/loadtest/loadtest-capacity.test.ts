import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CapacityReport } from '../../../../bench/loadtest/capacity/run-capacity.js'
import { runCli } from '../../../helpers/cli.js'
import { findAll, parseXml } from '../../../helpers/xml.js'

const CHECKS = [
  'acknowledged',
  'puback',
  'influx-visible',
  'alert-emitted',
  'consumer-lag',
  'lost',
  'load-alarms',
  'generator',
]

describe('integration > loadtest --find-capacity', () => {
  it('refuses what a capacity search cannot judge, and search flags without the search (exit 78)', () => {
    const qos0 = runCli(['loadtest', '--find-capacity', '--qos', '0'])
    expect(qos0.status).toBe(78)
    expect(qos0.stderr).toMatch(/--qos: capacity is judged on acknowledged readings: QoS 1 only/)
    const short = runCli(['loadtest', '--find-capacity', '--steady', '30'])
    expect(short.status).toBe(78)
    expect(short.stderr).toMatch(/steady/)
    const stray = runCli(['loadtest', '--max-rate', '5000'])
    expect(stray.status).toBe(78)
    expect(stray.stderr).toMatch(/--max-rate: only with --find-capacity/)
  })

  it('judges a step on its 60 s steady window and prints a line per SLO, with the verdict', () => {
    const out = mkdtempSync(join(tmpdir(), 'pulsewire-capacity-it-'))
    const file = join(out, 'capacity.json')
    // One judged step, no warm-up: the smallest search there is (about 70 s of load).
    const result = runCli(
      [
        'loadtest',
        '--find-capacity',
        ...['--devices', '50', '--rate', '100', '--samples', '2', '--ramp-up', '5', '--steady', '60'],
        ...['--max-rate', '100', '--warm-up-rate', '0', '--max-steps', '1', '--out', file],
      ],
      {},
      240_000,
    )
    expect([0, 1], result.stderr).toContain(result.status)
    expect(result.stderr).toMatch(/^step 1 ladder 100 msg\/s × 2 readings: (PASS|FAIL)$/m)
    for (const name of CHECKS) expect(result.stderr).toMatch(new RegExp(`^  (pass|FAIL)  ${name} `, 'm'))
    expect(result.stderr).toMatch(/cpu µs\/msg {2}own \d+ \(gateway \d+, storage \d+, alerting \d+\)/)
    const report = JSON.parse(readFileSync(file, 'utf8')) as CapacityReport
    expect(report.kind).toBe('pulsewire-capacity')
    expect(report.steps).toHaveLength(1)
    const step = report.steps[0]
    expect(step?.checks.map((c) => c.name)).toEqual(CHECKS)
    expect(step?.measure.steadySeconds).toBe(60)
    expect(step?.measure.scheduled).toBe(6_000)
    // Whatever this shared machine allows: the verdict follows the checks, and the exit code the verdict.
    expect(step?.pass).toBe(step?.checks.every((c) => c.pass))
    expect(report.result.sustainedRate).toBe(step?.pass ? 100 : null)
    expect(result.status).toBe(step?.pass ? 0 : 1)
    expect(result.stdout).toMatch(
      step?.pass ? /^sustained capacity: 100 msg\/s × 2/m : /^sustained capacity: none/m,
    )
    expect(step?.cpu.pulsewire).toBeGreaterThan(0)

    // The HTML report beside the JSON: a well-formed page, the summary charts and the step's throughput.
    expect(result.stderr).toContain(`written to ${file} and ${join(out, 'capacity.html')}`)
    const page = parseXml(readFileSync(join(out, 'capacity.html'), 'utf8'))
    const figures = findAll(page, (e) => e.name === 'figure')
    expect(figures.map((f) => f.attributes.id)).toEqual(['slo-vs-rate', 'cpu-vs-rate', 'step-1-throughput'])
    const drawn = (id: string) =>
      findAll(
        figures.find((f) => f.attributes.id === id)!,
        (e) => e.name === 'path' || e.name === 'circle',
      ).filter((e) => e.name === 'circle' || /^M[\d.]+ [\d.]+/.test(e.attributes.d ?? '')).length
    // One judged step: a dot per SLO figure and per CPU share; a line per throughput series.
    expect(drawn('slo-vs-rate')).toBeGreaterThanOrEqual(3)
    expect(drawn('cpu-vs-rate')).toBeGreaterThanOrEqual(3)
    expect(drawn('step-1-throughput')).toBeGreaterThanOrEqual(4)
    rmSync(out, { recursive: true, force: true })
  }, 300_000)
})
