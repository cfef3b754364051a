import { describe, expect, it } from 'vitest'
import type { CapacityComparison } from '../../../bench/capacity-compare.js'
import { renderCapacity } from '../../../bench/capacity-report.js'
import { renderComparison, summarise, type RunSummary } from '../../../bench/compare-report.js'
import type { CapacityReport, CapacityStepRecord } from '../../../bench/loadtest/capacity/run-capacity.js'
import { capacityImages, comparisonImages, imageMarkdown } from '../../../bench/report/compare-images.js'
import { findAll, parseXml, type XmlElement } from '../../helpers/xml.js'

const run = (target: string, rate: number, p99: number, cpu: number, faults: string[] = []): RunSummary => ({
  ...summarise(target, rate, undefined, faults),
  pubackP99Ms: p99,
  influxP99Ms: p99 * 10,
  cpuUsPerMessage: cpu,
  cpuUsPerMessageIngest: target === 'pulsewire' ? cpu - 100 : cpu,
  lostReadings: 0,
})

const seriesOf = (svg: XmlElement) =>
  findAll(svg, (e) => e.attributes.class === 'series').map((g) => ({
    name: g.attributes['data-name'],
    d: findAll(g, (e) => e.name === 'path')[0]?.attributes.d ?? '',
  }))

describe('unit > bench > comparison images', () => {
  const summaries = [
    run('pulsewire', 2000, 80, 800),
    run('peer', 2000, 11, 600),
    run('pulsewire', 1000, 70, 1600),
    run('peer', 1000, 5, 1000),
    run('pulsewire', 1000, 2000, 1400, ['gateway@10']), // a fault run is not a point of the curves
    { ...run('peer', 3000, 0, 0), error: 'run failed' },
  ]

  it('draws one line per target over the clean runs, by rate, for each figure', () => {
    const images = comparisonImages(summaries)
    expect(images.map((i) => i.file)).toEqual([
      'compare-puback-p99.svg',
      'compare-influx-p99.svg',
      'compare-cpu.svg',
      'compare-lost.svg',
    ])
    const puback = seriesOf(parseXml(images[0]!.svg))
    expect(puback.map((s) => s.name)).toEqual(['pulsewire', 'peer'])
    for (const s of puback) expect(s.d.match(/[ML]/g)).toHaveLength(2) // 1000 and 2000 only
    // Ingest-only CPU only where it differs (the peer has no alerting).
    expect(seriesOf(parseXml(images[2]!.svg)).map((s) => s.name)).toEqual([
      'pulsewire',
      'peer',
      'pulsewire w/o alerting',
    ])
  })

  it('embeds the images in the section, as Markdown relative to bench/RESULTS.md', () => {
    const images = imageMarkdown(comparisonImages(summaries))
    expect(images[0]).toBe('![PUBACK p99 by offered rate](images/compare-puback-p99.svg)')
    const section = renderComparison({ command: 'x', machine: 'm', resultFile: 'r.json', summaries, images })
    const lines = section.split('\n')
    const table = lines.findIndex((l) => l.startsWith('| target'))
    for (const image of images) {
      expect(lines.indexOf(image)).toBeGreaterThan(0)
      expect(lines.indexOf(image)).toBeLessThan(table)
    }
  })

  it('draws capacity per target as bars (none for a failed search) and the steps by rate', () => {
    const step = (rate: number, p99: number, phase = 'ladder'): CapacityStepRecord =>
      ({
        phase,
        ratePerSec: rate,
        pass: p99 <= 100,
        checks: [],
        measure: { pubackP99Ms: p99 },
        cpu: { perProcess: {}, pulsewire: 300, servers: 200, generator: 100, total: 600 },
      }) as unknown as CapacityStepRecord
    const report = (rate: number | null, steps: CapacityStepRecord[]) =>
      ({
        result: { sustainedRate: rate, firstFailingRate: null, stoppedBecause: 'resolution' },
        steps,
      }) as CapacityReport
    const comparison: CapacityComparison = {
      reports: [
        {
          target: 'pulsewire',
          samples: 5,
          report: report(1000, [step(250, 5, 'warm-up'), step(1000, 40), step(500, 20)]),
        },
        { target: 'peer', samples: 5, report: report(null, [step(500, 400)]) },
        { target: 'telegraf', samples: 5, error: 'missing' },
      ],
    }
    const [bars, puback, cpu] = capacityImages(comparison).map((i) => parseXml(i.svg))
    const slots = findAll(bars!, (e) => e.attributes.class === 'bar')
    expect(slots.map((b) => [b.attributes['data-name'], b.attributes['data-value']])).toEqual([
      ['pulsewire ×5', '1000'],
      ['peer ×5', undefined],
      ['telegraf ×5', undefined],
    ])
    const lines = seriesOf(puback!)
    expect(lines[0]?.d.match(/[ML]/g)).toHaveLength(2) // the warm-up is not judged, not drawn
    expect(lines[0]?.d.startsWith('M')).toBe(true)
    expect(seriesOf(cpu!)).toHaveLength(3)
    const section = renderCapacity({
      comparison,
      command: 'x',
      machine: 'm',
      resultFile: 'r.json',
      when: '2026-12-03',
      images: imageMarkdown(capacityImages(comparison)),
    })
    expect(section).toContain('![sustained capacity under the SLO per target](images/capacity-sustained.svg)')
  })
})
