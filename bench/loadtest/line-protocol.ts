/**
 * Just enough of InfluxDB line protocol to reconcile a peer that writes it to Kafka (the
 * Telegraf peer): each line's measurement, tags and the integer field `seq`.
 * https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
 */
export interface LinePoint {
  measurement: string
  tags: Record<string, string>
  /** The `seq` field (an integer field, `seq=12i`), when the line has one. */
  seq: number | undefined
}

/** Splits at unescaped `sep` outside double quotes (string field values may hold anything). */
function splitUnescaped(text: string, sep: string, quotes: boolean): string[] {
  const parts: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') i++
    else if (quotes && c === '"') quoted = !quoted
    else if (c === sep && !quoted) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

const unescape = (text: string): string => text.replace(/\\(.)/g, '$1')

/** One line; undefined when it is not a well-formed point. */
export function parseLine(line: string): LinePoint | undefined {
  const sections = splitUnescaped(line.trim(), ' ', true)
  if (sections.length < 2 || sections.length > 3) return undefined
  const [series = '', fieldText = ''] = sections
  const [measurement, ...tagPairs] = splitUnescaped(series, ',', false)
  if (!measurement) return undefined
  const tags: Record<string, string> = {}
  for (const pair of tagPairs) {
    const [key, value, extra] = splitUnescaped(pair, '=', false)
    if (!key || value === undefined || extra !== undefined) return undefined
    tags[unescape(key)] = unescape(value)
  }
  let seq: number | undefined
  const fields = splitUnescaped(fieldText, ',', true)
  if (fields.length === 0 || fields[0] === '') return undefined
  for (const field of fields) {
    const at = field.indexOf('=')
    if (at <= 0) return undefined
    if (unescape(field.slice(0, at)) !== 'seq') continue
    const match = /^(\d+)[iu]$/.exec(field.slice(at + 1))
    if (match) seq = Number(match[1])
  }
  return { measurement: unescape(measurement), tags, seq }
}

/** (device, seq) of every point in a Kafka record's value (one or more lines). */
export function decodeLineRecord(
  value: Buffer | Uint8Array,
): Array<{ deviceId: string; seq: number }> | undefined {
  const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
  const out: Array<{ deviceId: string; seq: number }> = []
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue
    const point = parseLine(line)
    const deviceId = point?.tags.device_id
    if (!point || deviceId === undefined || point.seq === undefined) return undefined
    out.push({ deviceId, seq: point.seq })
  }
  return out.length > 0 ? out : undefined
}
