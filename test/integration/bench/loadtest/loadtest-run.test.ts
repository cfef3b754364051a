import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LoadReport } from '../../../../bench/loadtest/report.js'
import { runCli } from '../../../helpers/cli.js'

describe('integration > loadtest > a short run through the Pulsewire target', () => {
  it('refuses bad options before starting anything, naming each flag (exit 78)', () => {
    const result = runCli(['loadtest', '--devices', '0', '--qos', '2', '--fault', 'kafka@5'])
    expect(result.status).toBe(78)
    expect(result.stderr).toMatch(/error \[CFG_INVALID\] invalid configuration \(loadtest options\)/)
    expect(result.stderr).toMatch(/--devices/)
    expect(result.stderr).toMatch(/--qos/)
  })

  it('offers, acknowledges and stores everything, with every hop and every process measured', () => {
    const out = mkdtempSync(join(tmpdir(), 'pulsewire-loadtest-it-'))
    const result = runCli([
      'loadtest',
      ...['--devices', '50', '--rate', '200', '--samples', '2', '--duration', '10'],
      // Every 10th device below SpO2 85: the rule's undelayed high level fires within the run.
      ...['--alarm-every', '10', '--alarm-spo2', '84'],
      ...['--json', '--out', `${out}/`],
    ])
    expect(result.status, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as LoadReport
    const { throughput: t, reconciliation: rec } = report

    expect(t.offered.messages).toBe(report.schedule.messages)
    expect(t.offered.messages).toBeGreaterThanOrEqual(1_999)
    expect(t.offered.readings).toBe(t.offered.messages * 2)
    expect(t.acknowledged.messages).toBe(t.offered.messages)
    expect(t.inKafka.messages).toBe(t.offered.messages)
    expect(t.stored.readings).toBe(t.offered.readings)
    expect(rec).toMatchObject({
      lostMessages: 0,
      lostReadings: 0,
      devicesWithLoss: 0,
      notAcked: 0,
      kafkaDuplicates: 0,
    })
    expect(rec.storedReadings).toBe(rec.expectedReadings)
    expect(report.lost).toBe(0)
    expect(report.ok).toBe(true)

    for (const hop of [report.latency.puback, report.latency.kafka, report.latency.influxVisible]) {
      expect(hop.count).toBeGreaterThan(0)
      for (const p of [hop.p50Ms, hop.p90Ms, hop.p99Ms, hop.p999Ms, hop.maxMs]) expect(p).toBeGreaterThan(0)
    }
    expect(report.latency.influxVisible.probes.visible).toBe(report.latency.influxVisible.count)
    expect(report.latency.alert?.count).toBeGreaterThanOrEqual(5)
    expect(report.latency.alert?.events.raised).toBeGreaterThanOrEqual(5)
    expect(report.latency.alert?.p50Ms).toBeGreaterThan(0)

    // No ramp-up: the whole run is the steady window the capacity search judges.
    const steady = report.steady
    expect(steady.scheduled).toBe(report.schedule.messages)
    expect(steady.acknowledged).toBe(steady.scheduled)
    expect(steady.puback.count).toBe(steady.scheduled)
    expect(steady.generatorLateness.count).toBe(steady.scheduled)
    expect(steady.alert.count).toBe(report.latency.alert?.count)
    expect(steady.influxVisible.count).toBe(report.latency.influxVisible.count)
    expect(Object.keys(steady.lagRecords ?? {}).sort()).toEqual(['alerting', 'storage'])
    for (const lag of Object.values(steady.lagRecords ?? {})) expect(lag).toBeGreaterThanOrEqual(0)
    // Only the injected desaturations raise; nothing on the other 45 devices, nothing but SpO2 rules.
    expect(steady.loadAlarms).toEqual({})

    const names = report.resources.map((p) => p.name)
    expect(names).toEqual(['gateway', 'storage', 'alerting', 'kafka', 'influxdb', 'loadgen'])
    for (const p of report.resources) {
      expect(p.cpuSeconds, p.name).toBeGreaterThan(0)
      expect(p.rssPeakMb, p.name).toBeGreaterThan(10)
      expect(p.usPerMessage, p.name).toBeGreaterThan(0)
    }
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.command).toMatch(/^pulsewire loadtest --devices 50 --rate 200/)

    const files = readdirSync(out)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^loadtest-\d{4}-\d\d-\d\dT\d{6}\.json$/)
    expect(JSON.parse(readFileSync(join(out, files[0] ?? ''), 'utf8'))).toEqual(report)
    rmSync(out, { recursive: true, force: true })
  })
})
