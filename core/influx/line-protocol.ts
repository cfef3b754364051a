/**
 * InfluxDB line protocol, written directly: the same bytes the client's `Point.toLineProtocol()`
 * produces (test/unit/core/influx/line-protocol.test.ts checks them against it), without a
 * `Point` object, its tag and field dictionaries and a sort per point.
 * https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/
 *
 * Each escaper returns its input untouched when there is nothing to escape (the common case), so
 * a plain device id costs one regex test and no allocation.
 */

/** The precision of every timestamp the project writes (the adapter's write API and the lines). */
export const WRITE_PRECISION = 'ms'

const MEASUREMENT_SPECIAL = /[, \n\r\t]/
const MEASUREMENT_SPECIAL_ALL = /[, \n\r\t]/g
/** Tag keys, tag values and field keys: the client escapes `=` as well. */
const TAG_SPECIAL = /[,= \n\r\t]/
const TAG_SPECIAL_ALL = /[,= \n\r\t]/g
const QUOTED_SPECIAL = /["\\]/
const QUOTED_SPECIAL_ALL = /["\\]/g

// Control characters become a backslash and a letter, as the client writes them (a raw newline
// would end the line).
const REPLACEMENTS: Readonly<Record<string, string>> = {
  ',': '\\,',
  ' ': '\\ ',
  '=': '\\=',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '"': '\\"',
  '\\': '\\\\',
}
const replace = (c: string): string => REPLACEMENTS[c] ?? c

/** A measurement name: commas, spaces and control characters escaped. */
export const escapeMeasurement = (name: string): string =>
  MEASUREMENT_SPECIAL.test(name) ? name.replace(MEASUREMENT_SPECIAL_ALL, replace) : name

/** A tag key, tag value or field key: commas, equals signs, spaces and control characters escaped. */
export const escapeTag = (text: string): string =>
  TAG_SPECIAL.test(text) ? text.replace(TAG_SPECIAL_ALL, replace) : text

/** A string field value: double-quoted, with `"` and `\` escaped. */
export const quoteString = (text: string): string =>
  QUOTED_SPECIAL.test(text) ? `"${text.replace(QUOTED_SPECIAL_ALL, replace)}"` : `"${text}"`

/** A float field value; the client refuses NaN and ±Infinity (InfluxDB cannot store them) and so do we. */
export function floatValue(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`invalid float value: ${value}`)
  return String(value)
}

/** An integer field value (`12i`): floored, refused when NaN or outside int64 as the client does. */
export function intValue(value: number): string {
  if (Number.isNaN(value) || value <= -9223372036854776e3 || value >= 9223372036854776e3) {
    throw new RangeError(`invalid integer value: ${value}`)
  }
  return `${Math.floor(value)}i`
}

/** A boolean field value, as the client writes it. */
export const boolValue = (value: boolean): string => (value ? 'T' : 'F')

/** A timestamp in WRITE_PRECISION (ms), as the client's write API converts a number. */
export const timestampMs = (timeMs: number): string => String(Math.floor(timeMs))
