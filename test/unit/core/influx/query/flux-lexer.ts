/**
 * A test-side reading of Flux text, written independently of the escaper: string literals are
 * decoded and replaced by a placeholder, so two queries with the same skeleton have the same
 * structure. It follows the InfluxDB 1.8 scanner, quirks included: a bare `$` takes the next
 * character with it (so `$\"` leaves the `"` to close the literal) and `${` starts an
 * interpolation, which is reported as an error because it would evaluate code.
 */
export interface LexedFlux {
  /** The query with every string literal replaced by `"…"`. */
  skeleton: string
  /** The decoded contents of the string literals, in order. */
  literals: string[]
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"' }

export function lexFlux(text: string): LexedFlux {
  let skeleton = ''
  const literals: string[] = []
  let i = 0
  while (i < text.length) {
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i)
      const stop = end < 0 ? text.length : end
      skeleton += text.slice(i, stop)
      i = stop
    } else if (text[i] === '"') {
      const literal = readLiteral(text, i + 1)
      literals.push(literal.value)
      skeleton += '"…"'
      i = literal.end
    } else {
      skeleton += text[i]
      i += 1
    }
  }
  return { skeleton, literals }
}

function readLiteral(text: string, from: number): { value: string; end: number } {
  const bytes: number[] = []
  const push = (s: string): void => {
    bytes.push(...Buffer.from(s, 'utf8'))
  }
  let i = from
  for (;;) {
    const c = text[i]
    if (c === undefined) throw new Error(`unterminated string literal from ${from}`)
    if (c === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 }
    if (c === '$') {
      if (text[i + 1] === '{') throw new Error(`interpolation \${ at ${i}: the literal would run code`)
      push(text.slice(i, i + 2))
      i += 2
      continue
    }
    if (c === '\\') {
      const e = text[i + 1] ?? ''
      const hex = /^x([0-9a-fA-F]{2})/.exec(text.slice(i + 1, i + 4))
      if (hex) {
        bytes.push(Number.parseInt(hex[1] ?? '', 16))
        i += 4
      } else if (text.startsWith('${', i + 1)) {
        push('${')
        i += 3
      } else if (SIMPLE_ESCAPES[e] !== undefined) {
        push(SIMPLE_ESCAPES[e])
        i += 2
      } else throw new Error(`invalid escape \\${e} at ${i}`)
      continue
    }
    const codePoint = text.codePointAt(i) ?? 0
    push(String.fromCodePoint(codePoint))
    i += codePoint > 0xffff ? 2 : 1
  }
}
