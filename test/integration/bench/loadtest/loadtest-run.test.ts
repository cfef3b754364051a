import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LoadReport } from '../../../../bench/loadtest/report.js'
import { runCli } from '../../../helpers/cli.js'
import { findAll, parseXml } from '../../../helpers/xml.js'

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

    const files = readdirSync(out).sort()
    expect(files).toHaveLength(2)
    expect(files[0]).toMatch(/^loadtest-\d{4}-\d\d-\d\dT\d{6}\.html$/)
    expect(files[1]).toMatch(/^loadtest-\d{4}-\d\d-\d\dT\d{6}\.json$/)
    expect(files[0]?.replace(/\.html$/, '')).toBe(files[1]?.replace(/\.json$/, ''))
    expect(JSON.parse(readFileSync(join(out, files[1] ?? ''), 'utf8'))).toEqual(report)

    // The timeline: one point a second through load and drain, the load's seconds at ~200 msg/s.
    const timeline = report.timeline ?? []
    expect(timeline.length).toBeGreaterThanOrEqual(10)
    const loadSeconds = timeline.filter((p) => p.atS <= 10)
    expect(loadSeconds.reduce((a, p) => a + p.offeredPerSec, 0)).toBeGreaterThan(1_500)
    expect(timeline.some((p) => p.latency.puback.count > 0 && (p.latency.puback.p99Ms ?? 0) > 0)).toBe(true)
    expect(timeline.some((p) => p.latency.influxVisible.count > 0)).toBe(true)
    expect(timeline.some((p) => p.latency.alert.count > 0)).toBe(true)
    expect(Object.keys(timeline[0]?.cpuPercent ?? {})).toEqual(names)
    expect(report.distribution?.puback.at(-1)).toEqual([1, report.latency.puback.maxMs])

    // The HTML report beside it: one well-formed page, self-contained, every chart drawn.
    const html = readFileSync(join(out, files[0] ?? ''), 'utf8')
    expect(html).not.toMatch(/<script|\b(src|href)=/)
    const page = parseXml(html)
    const figures = findAll(page, (e) => e.name === 'figure')
    expect(figures.map((f) => f.attributes.id)).toEqual([
      'throughput',
      'latency-puback',
      'latency-influxVisible',
      'latency-alert',
      'distribution',
      'cpu',
    ])
    for (const figure of figures) {
      const [svg] = findAll(figure, (e) => e.name === 'svg')
      expect(svg, figure.attributes.id).toBeDefined()
      const series = findAll(svg!, (e) => e.attributes.class === 'series')
      expect(series.length, figure.attributes.id).toBeGreaterThanOrEqual(2)
      // Each chart draws data: a line segment (a move and a line-to) or, for a second alone between
      // quiet ones (alerts are sparse), a dot.
      const drawn = series
        .flatMap((g) => findAll(g, (e) => e.name === 'path'))
        .map((p) => p.attributes.d ?? '')
      const dots = series.flatMap((g) => findAll(g, (e) => e.name === 'circle'))
      expect(drawn.some((d) => /^M[\d.]+ [\d.]+ L/.test(d)) || dots.length > 0, figure.attributes.id).toBe(
        true,
      )
    }
    const series = (id: string) =>
      findAll(
        figures.find((f) => f.attributes.id === id)!,
        (e) => e.attributes.class === 'series',
      ).map((e) => e.attributes['data-name'])
    expect(series('throughput')).toEqual(['offered', 'acknowledged', 'in Kafka', 'stored (est.)'])
    expect(series('cpu')).toEqual(names)
    expect(series('distribution')).toEqual([
      'PUBACK',
      'in Kafka (tap)',
      'visible in InfluxDB',
      'alert emitted',
    ])
    rmSync(out, { recursive: true, force: true })
  })
})
