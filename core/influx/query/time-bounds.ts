/**
 * Durations and time bounds of a query, parsed into closed forms: the Flux text of a bound is
 * re-serialised from the parsed value, never copied from user input.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
type DurationUnit = keyof typeof UNIT_MS

/** Longest duration accepted anywhere: keeps Flux's nanosecond int64 arithmetic far from overflow. */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d

export interface Duration {
  /** Canonical Flux duration literal without sign, e.g. `1h30m`. */
  flux: string
  ms: number
}

export type TimeBound =
  | { kind: 'relative'; /** Flux literal, e.g. `-15m`. */ flux: string; offsetMs: number }
  | { kind: 'absolute'; /** `Date.toISOString()` of the parsed time. */ iso: string; ms: number }
  | { kind: 'now' }

const DURATION = /^(?:\d{1,7}(?:ms|s|m|h|d|w))+$/
const DURATION_PART = /(\d{1,7})(ms|s|m|h|d|w)/g

/** `15m`, `1h30m`, `7d`: a positive duration, or undefined when the text is not one. */
export function parseDuration(text: string): Duration | undefined {
  if (text.length > 40 || !DURATION.test(text)) return undefined
  const parts = [...text.matchAll(DURATION_PART)].map((m) => ({
    n: Number(m[1]),
    unit: m[2] as DurationUnit,
  }))
  const ms = parts.reduce((sum, p) => sum + p.n * UNIT_MS[p.unit], 0)
  if (ms <= 0 || ms > MAX_DURATION_MS) return undefined
  return { flux: parts.map((p) => `${p.n}${p.unit}`).join(''), ms }
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-](\d{2}):(\d{2})))?$/

const MIN_YEAR = 1970
const MAX_YEAR = 2261

/** An ISO-8601 date (UTC midnight) or date-time with a zone; undefined when invalid. */
export function parseTimestamp(text: string): number | undefined {
  const m = ISO.exec(text)
  if (!m) return undefined
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)]
  const [offsetH, offsetM] = [Number(m[9] ?? 0), Number(m[10] ?? 0)]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const valid =
    year >= MIN_YEAR &&
    year <= MAX_YEAR &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetH <= 14 &&
    offsetM <= 59
  if (!valid) return undefined
  const ms = Date.parse(m[4] === undefined ? `${m[1]}-${m[2]}-${m[3]}T00:00:00Z` : text.replace(' ', 'T'))
  return Number.isFinite(ms) ? ms : undefined
}

export type BoundResult = { ok: true; bound: TimeBound } | { ok: false; message: string }

const BOUND_HELP =
  'expected a relative duration (-15m, -2h, -7d) or an ISO timestamp with a zone (2024-05-01T10:00:00Z)'

/** A start or stop: `-2h` (before now), an ISO timestamp, or (stop only) `now`. */
export function parseTimeBound(text: string, allowNow: boolean): BoundResult {
  if (allowNow && text === 'now') return { ok: true, bound: { kind: 'now' } }
  if (text.startsWith('-')) {
    const duration = parseDuration(text.slice(1))
    if (!duration) return { ok: false, message: `"${printable(text)}" is not a duration: ${BOUND_HELP}` }
    return { ok: true, bound: { kind: 'relative', flux: `-${duration.flux}`, offsetMs: -duration.ms } }
  }
  const ms = parseTimestamp(text)
  if (ms === undefined) return { ok: false, message: `"${printable(text)}": ${BOUND_HELP}` }
  return { ok: true, bound: { kind: 'absolute', iso: new Date(ms).toISOString(), ms } }
}

export function boundMs(bound: TimeBound, nowMs: number): number {
  if (bound.kind === 'absolute') return bound.ms
  return bound.kind === 'relative' ? nowMs + bound.offsetMs : nowMs
}

export function boundText(bound: TimeBound): string {
  if (bound.kind === 'absolute') return bound.iso
  return bound.kind === 'relative' ? bound.flux : 'now'
}

/** Echoes user text inside an error message without letting it reshape the terminal output. */
export function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
  return JSON.stringify(shown).slice(1, -1)
}
