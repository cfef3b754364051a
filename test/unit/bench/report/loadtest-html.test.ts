import { describe, expect, it } from 'vitest'
import type { CapacityReport, CapacityStepRecord } from '../../../../bench/loadtest/capacity/run-capacity.js'
import type { LoadReport } from '../../../../bench/loadtest/report.js'
import type { TimelinePoint } from '../../../../bench/loadtest/timeline.js'
import { renderCapacityHtml } from '../../../../bench/report/capacity-html.js'
import { htmlPage } from '../../../../bench/report/html-page.js'
import { loadtestSections, nines, ninesLabel } from '../../../../bench/report/loadtest-html.js'
import { findAll, parseXml, type XmlElement } from '../../../helpers/xml.js'

const lat = (p50: number | null, p99: number | null) => ({
  count: p50 === null ? 0 : 10,
  p50Ms: p50,
  p99Ms: p99,
})
const point = (s: number, quiet = false): TimelinePoint => ({
  atS: s,
  offeredPerSec: 200,
  ackedPerSec: 199,
  kafkaPerSec: 198,
  storedPerSecEst: 190,
  latency: {
    puback: quiet ? lat(null, null) : lat(5, 20),
    influxVisible: lat(300, 700),
    alert: lat(null, null),
  },
  cpuPercent: { gateway: 20, storage: 10, loadgen: 30 },
})
const timeline = [point(1), point(2, true), point(3)]
const distribution = {
  puback: [
    [0, 1],
    [0.5, 5],
    [0.99, 20],
    [1, 31],
  ],
  kafka: [
    [0, 2],
    [0.5, 8],
    [1, 40],
  ],
  influxVisible: [
    [0.5, 300],
    [1, 900],
  ],
  alert: [],
} as NonNullable<LoadReport['distribution']>

const page = (r: Pick<LoadReport, 'timeline' | 'distribution' | 'options'>): XmlElement =>
  parseXml(htmlPage('t', ['a & <b>'], loadtestSections(r as LoadReport)))

const figure = (doc: XmlElement, id: string): XmlElement | undefined =>
  findAll(doc, (e) => e.name === 'figure' && e.attributes.id === id)[0]
const paths = (e: XmlElement | undefined): string[] =>
  e ? findAll(e, (c) => c.name === 'path').map((c) => c.attributes.d ?? '') : []

describe('bench > report > loadtest HTML', () => {
  it('is one well-formed page: escaped text, inline SVG, no script, nothing fetched', () => {
    const html = htmlPage(
      't',
      ['a & <b>'],
      loadtestSections({ timeline, distribution, options: { probeEvery: 10 } } as LoadReport),
    )
    const doc = parseXml(html)
    expect(findAll(doc, (e) => e.name === 'pre')[0]?.text).toBe('a & <b>')
    expect(findAll(doc, (e) => e.name === 'script')).toHaveLength(0)
    expect(html).not.toMatch(/\b(src|href)=/)
    expect(findAll(doc, (e) => e.name === 'svg').length).toBeGreaterThanOrEqual(4)
  })

  it('charts throughput, latency per hop with data, the distribution and CPU, each with its series', () => {
    const doc = page({ timeline, distribution, options: { probeEvery: 10 } as LoadReport['options'] })
    const ids = findAll(doc, (e) => e.name === 'figure').map((e) => e.attributes.id)
    // No alert completed in this run: no empty alert chart.
    expect(ids).toEqual(['throughput', 'latency-puback', 'latency-influxVisible', 'distribution', 'cpu'])
    const names = (id: string) =>
      findAll(figure(doc, id)!, (e) => e.attributes.class === 'series').map((e) => e.attributes['data-name'])
    expect(names('throughput')).toEqual(['offered', 'acknowledged', 'in Kafka', 'stored (est.)'])
    expect(names('distribution')).toEqual(['PUBACK', 'in Kafka (tap)', 'visible in InfluxDB'])
    expect(names('cpu')).toEqual(['gateway', 'storage', 'loadgen'])
    for (const id of ids) for (const d of paths(figure(doc, id!))) expect(d, id).toMatch(/^M[\d.]+ [\d.]+/)
    // The quiet second of PUBACK is a gap: two segments.
    expect(paths(figure(doc, 'latency-puback'))[0]?.match(/M/g)).toHaveLength(2)
  })

  it('puts the percentiles on a nines axis', () => {
    expect(nines(0.99)).toBeCloseTo(2)
    expect(ninesLabel(0)).toBe('p0')
    expect(ninesLabel(1)).toBe('p90')
    expect(ninesLabel(3)).toBe('p99.9')
  })

  it('a result from before the timeline renders without charts, still a valid page', () => {
    const doc = page({ options: { probeEvery: 10 } as LoadReport['options'] })
    expect(findAll(doc, (e) => e.name === 'figure')).toHaveLength(0)
  })
})

const step = (rate: number, pass: boolean, phase = 'ladder'): CapacityStepRecord =>
  ({
    phase,
    ratePerSec: rate,
    pass,
    checks: [{ name: 'puback', detail: pass ? 'p99 20 ms ≤ 100 ms' : 'p99 900 ms ≤ 100 ms', pass }],
    measure: { pubackP99Ms: pass ? 20 : 900, influxVisibleP99Ms: 400, alertP99Ms: 90, alerting: true },
    cpu: { perProcess: { gateway: 100 }, pulsewire: 300, servers: 200, generator: 100, total: 600 },
    report: { timeline, options: { probeEvery: 10 } },
  }) as unknown as CapacityStepRecord

describe('bench > report > capacity HTML', () => {
  it('charts the SLO figures and CPU against the judged rates, and throughput per step', () => {
    const report = {
      command: 'pulsewire loadtest --find-capacity',
      startedAt: '2026-12-03T05:00:00Z',
      samples: 10,
      slo: { pubackP99Ms: 100, influxVisibleP99Ms: 1_000, alertP99Ms: 250 },
      result: { sustainedRate: 1_000, firstFailingRate: 2_000, stoppedBecause: 'resolution' },
      steps: [step(500, true, 'warm-up'), step(2_000, false), step(1_000, true)],
    } as unknown as CapacityReport
    const doc = parseXml(renderCapacityHtml(report))
    const ids = findAll(doc, (e) => e.name === 'figure').map((e) => e.attributes.id)
    expect(ids).toEqual([
      'slo-vs-rate',
      'cpu-vs-rate',
      'step-1-throughput',
      'step-2-throughput',
      'step-3-throughput',
    ])
    const slo = figure(doc, 'slo-vs-rate')!
    const names = findAll(slo, (e) => e.attributes.class === 'series').map((e) => e.attributes['data-name'])
    expect(names).toEqual(['PUBACK p99', 'visible p99', 'alert p99'])
    // Judged steps only, by rate: two points, one line segment each.
    for (const d of paths(slo)) expect(d.match(/[ML]/g)).toHaveLength(2)
    expect(findAll(slo, (e) => e.name === 'figcaption')[0]?.text).toMatch(/Passing rates: 1000\./)
    expect(findAll(doc, (e) => e.name === 'pre')[0]?.text).toMatch(/sustained capacity: 1,000 msg\/s/)
  })
})
