import { escapeXml } from './svg.js'

export interface HtmlSection {
  /** Element id, so a test or a link can find the chart. */
  id: string
  title: string
  /** Inline SVG (from svg.ts) or other markup already escaped. */
  body: string
  /** A sentence under the chart: what is measured and how. */
  note?: string
}

const STYLE = `
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1000px; color: #222; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 12px; }
figure { margin: 1.2em 0; }
figcaption { font-size: 13px; color: #555; max-width: 760px; }
h2 { font-size: 16px; margin-top: 1.6em; }
`

/**
 * A self-contained report page: inline CSS, inline SVG, no script, no external resource, so
 * it opens offline from the results folder. Written as well-formed XHTML-compatible HTML5
 * (every element closed), so a strict XML parser can check the whole page.
 */
export function htmlPage(title: string, preface: string[], sections: readonly HtmlSection[]): string {
  const parts = [
    '<!DOCTYPE html>',
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeXml(title)}</h1>`,
    `<pre>${escapeXml(preface.join('\n'))}</pre>`,
  ]
  for (const s of sections) {
    parts.push(
      `<figure id="${escapeXml(s.id)}" class="chart">`,
      `<h2>${escapeXml(s.title)}</h2>`,
      s.body,
      s.note ? `<figcaption>${escapeXml(s.note)}</figcaption>` : '',
      '</figure>',
    )
  }
  parts.push('</body>', '</html>', '')
  return parts.join('\n')
}
