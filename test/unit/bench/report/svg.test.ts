import { describe, expect, it } from 'vitest'
import { barChart, escapeXml, lineChart, niceTicks } from '../../../../bench/report/svg.js'
import { findAll, parseXml } from '../../../helpers/xml.js'

const chart = (title = 'throughput', name = 'offered') =>
  lineChart({
    title,
    xLabel: 'seconds into the load',
    yLabel: 'msg/s',
    series: [
      {
        name,
        points: [
          [0, 0],
          [1, 190],
          [2, 200],
          [3, null],
          [4, 210],
        ],
      },
      {
        name: 'stored',
        points: [
          [0, 0],
          [1, 180],
          [2, 200],
          [3, 205],
          [4, 200],
        ],
      },
    ],
  })

describe('bench > report > svg', () => {
  it('is a well-formed SVG document with a title, both axes and their labels', () => {
    const svg = parseXml(chart())
    expect(svg.name).toBe('svg')
    expect(svg.attributes.xmlns).toBe('http://www.w3.org/2000/svg')
    expect(findAll(svg, (e) => e.name === 'title')[0]?.text).toBe('throughput')
    for (const axis of ['x-axis', 'y-axis']) {
      const [g] = findAll(svg, (e) => e.attributes.class === `axis ${axis}`)
      expect(g, axis).toBeDefined()
      expect(findAll(g!, (e) => e.name === 'line').length).toBeGreaterThanOrEqual(1)
    }
    const texts = findAll(svg, (e) => e.name === 'text').map((e) => e.text)
    expect(texts).toContain('seconds into the load')
    expect(texts).toContain('msg/s')
    expect(texts).toContain('200')
  })

  it('draws each series as a path, a null as a gap (a new segment)', () => {
    const svg = parseXml(chart())
    const paths = findAll(svg, (e) => e.name === 'path').map((e) => e.attributes.d ?? '')
    expect(paths).toHaveLength(2)
    expect(paths[0]?.match(/M/g)).toHaveLength(2)
    expect(paths[0]?.match(/L/g)).toHaveLength(2)
    expect(paths[1]?.match(/M/g)).toHaveLength(1)
    expect(paths[1]?.match(/L/g)).toHaveLength(4)
  })

  it('escapes labels, so markup and control characters in them cannot break the document', () => {
    const hostile = `<script>alert("x")</script> & 'q' \u0001`
    const svg = parseXml(chart(hostile, hostile))
    expect(findAll(svg, (e) => e.name === 'script')).toHaveLength(0)
    expect(findAll(svg, (e) => e.name === 'title')[0]?.text).toBe(`<script>alert("x")</script> & 'q' \uFFFD`)
    expect(findAll(svg, (e) => e.attributes['data-name'] !== undefined)[0]?.attributes['data-name']).toBe(
      `<script>alert("x")</script> & 'q' \uFFFD`,
    )
    expect(escapeXml('a&b<c>"\'')).toBe('a&amp;b&lt;c&gt;&quot;&apos;')
  })

  it('draws a point alone between gaps as a dot (a path alone would draw nothing there)', () => {
    const svg = parseXml(
      lineChart({
        title: 'alerts',
        xLabel: 's',
        yLabel: 'ms',
        series: [
          {
            name: 'p99',
            points: [
              [0, null],
              [1, 120],
              [2, null],
              [3, 90],
              [4, 95],
            ],
          },
        ],
      }),
    )
    const dots = findAll(svg, (e) => e.name === 'circle')
    expect(dots).toHaveLength(1)
    expect(findAll(svg, (e) => e.name === 'path')[0]?.attributes.d?.match(/L/g)).toHaveLength(1)
  })

  it('wraps a long legend onto further rows inside the chart', () => {
    const series = Array.from({ length: 8 }, (_, i) => ({
      name: `process-${i}`,
      points: [[0, i]] as Array<[number, number]>,
    }))
    const svg = parseXml(lineChart({ title: 'cpu', xLabel: 's', yLabel: '%', series, width: 640 }))
    const legend = findAll(svg, (e) => e.attributes.class === 'series').map(
      (g) => findAll(g, (e) => e.name === 'text')[0]!,
    )
    for (const t of legend) expect(Number(t.attributes.x)).toBeLessThan(640 - 16)
    expect(new Set(legend.map((t) => t.attributes.y)).size).toBeGreaterThan(1)
  })

  it('draws bars with their values, and an empty slot for none', () => {
    const svg = parseXml(
      barChart({
        title: 'capacity',
        yLabel: 'msg/s',
        bars: [
          { label: 'pulsewire ×5', value: 2_000 },
          { label: 'peer ×5', value: 1_000 },
          { label: 'telegraf <x>', value: null },
        ],
      }),
    )
    const bars = findAll(svg, (e) => e.attributes.class === 'bar')
    expect(bars.map((b) => b.attributes['data-name'])).toEqual(['pulsewire ×5', 'peer ×5', 'telegraf <x>'])
    const heights = bars.map((b) => Number(findAll(b, (e) => e.name === 'rect')[0]?.attributes.height ?? 0))
    expect(heights[0]).toBeCloseTo(2 * (heights[1] ?? 0), 0)
    expect(heights[2]).toBe(0)
    expect(findAll(bars[0]!, (e) => e.name === 'text').map((t) => t.text)).toContain('2,000')
    expect(findAll(bars[2]!, (e) => e.name === 'text').map((t) => t.text)).toContain('none')
  })

  it('picks round ticks', () => {
    expect(niceTicks(0, 210)).toEqual([0, 50, 100, 150, 200])
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
  })

  it('the test parser refuses what is not well formed', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow()
    expect(() => parseXml('<svg a=1/>')).toThrow()
    expect(() => parseXml('<svg>a & b</svg>')).toThrow()
  })
})
