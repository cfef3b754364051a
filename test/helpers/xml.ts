/** An element of a parsed document: enough to check the structure of our SVG and XHTML. */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);|&/gi, (whole, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare "&" in ${JSON.stringify(text.slice(0, 40))}`)
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)))
    const value = ENTITIES[name]
    if (value === undefined) throw new Error(`unknown entity ${whole}`)
    return value
  })
}

/**
 * A strict, small XML well-formedness parser (no DTD, no namespaces resolved): throws on an
 * unclosed or mismatched tag, an unquoted or duplicate attribute, a bare `&` or `<`, or text
 * outside the root. Tests use it to prove a generated document parses.
 */
export function parseXml(source: string): XmlElement {
  const body = source.replace(/^<\?xml[^?]*\?>\s*/, '').replace(/^<!DOCTYPE [^>]*>\s*/i, '')
  const token =
    /<!--[\s\S]*?-->|<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/y
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' }
  const stack: XmlElement[] = [root]
  let match: RegExpExecArray | null
  while (token.lastIndex < body.length && (match = token.exec(body))) {
    const [, close, open, attrs = '', selfClose, text, stray] = match
    const top = stack[stack.length - 1] as XmlElement
    if (stray)
      throw new Error(
        `stray "<" at ${token.lastIndex}: ${body.slice(token.lastIndex - 1, token.lastIndex + 30)}`,
      )
    if (text !== undefined) {
      if (top === root && text.trim() !== '') throw new Error('text outside the root element')
      top.text += decode(text)
    } else if (close) {
      if (top.name !== close) throw new Error(`</${close}> closes <${top.name}>`)
      stack.pop()
    } else if (open) {
      if (top === root && root.children.length > 0) throw new Error('a second root element')
      const attributes: Record<string, string> = {}
      for (const a of attrs.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        const key = a[1] ?? ''
        if (key in attributes) throw new Error(`duplicate attribute ${key} on <${open}>`)
        const value = a[2] ?? a[3] ?? ''
        if (value.includes('<')) throw new Error(`"<" in attribute ${key}`)
        attributes[key] = decode(value)
      }
      const element: XmlElement = { name: open, attributes, children: [], text: '' }
      top.children.push(element)
      if (!selfClose) stack.push(element)
    }
  }
  if (token.lastIndex < body.length) throw new Error(`cannot parse at ${token.lastIndex}`)
  if (stack.length > 1) throw new Error(`<${stack[stack.length - 1]?.name}> is not closed`)
  const [element] = root.children
  if (!element) throw new Error('no root element')
  return element
}

/** Every element below `element` (itself included) that matches. */
export function findAll(element: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  return [...(match(element) ? [element] : []), ...element.children.flatMap((c) => findAll(c, match))]
}
