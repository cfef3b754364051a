import type { Clock } from '../core/clock.js'
import { createLruMap } from '../core/lru-map.js'

/** Why a connection was refused or closed by a connection-level limit: a closed set (metric label). */
export type RefuseReason =
  | 'max_connections'
  | 'connect_rate'
  | 'auth_backoff'
  | 'packet_too_large'
  | 'malformed_packet'
  | 'bad_certificate'
  | 'certificate_required'

export const REFUSE_REASONS: readonly RefuseReason[] = [
  'max_connections',
  'connect_rate',
  'auth_backoff',
  'packet_too_large',
  'malformed_packet',
  'bad_certificate',
  'certificate_required',
]

export interface AdmissionLimits {
  maxConnections: number
  connectRate: { perSecond: number; burst: number }
  authBackoff: { failures: number; windowMs: number; initialMs: number; maxMs: number }
  /** Addresses exempt from the per-address limits (the connection cap still applies). */
  exemptAddresses: readonly string[]
  maxTrackedAddresses: number
  /** A refused address is logged at most once per this window. */
  logWindowMs: number
}

export type Admit =
  | { ok: true; release(): void }
  /** `log` is true for the first refusal of its kind and address in the log window. */
  | { ok: false; reason: 'max_connections' | 'connect_rate' | 'auth_backoff'; address: string; log: boolean }

export interface Admission {
  /** At accept, before any byte is parsed. On ok, call `release()` once when the socket closes. */
  admit(address: string | undefined): Admit
  /** CONNECT refused for bad credentials from this address: counts towards its back-off. */
  authFailed(address: string | undefined): void
  /** CONNECT accepted: the address's failure count starts again. */
  authSucceeded(address: string | undefined): void
  /** Open connections right now (all listeners). */
  open(): number
  /** Per-address entries held (bounded by maxTrackedAddresses). */
  tracked(): number
}

interface AddressState {
  tokens: number
  refilledAt: number
  failures: number
  failuresSince: number
  strikes: number
  lastFailureAt: number
  blockedUntil: number
  loggedAt: number
}

/**
 * Connection admission (issue #10, finding 1): a total connection cap, a token bucket of CONNECTs
 * per source address, and a growing back-off for an address after repeated auth failures. Pure
 * logic on an injected clock; the listeners call it at accept and close refused sockets before
 * aedes parses anything.
 *
 * The per-address map is bounded: it is an LRU (a Map in touch order), so a scan from many
 * addresses evicts the oldest entries instead of growing memory. An IPv6 address is keyed by its
 * /64, the block one subscriber usually holds, so rotating through it buys an attacker nothing.
 */
export function createAdmission(limits: AdmissionLimits, clock: Pick<Clock, 'now'>): Admission {
  const exempt = new Set(limits.exemptAddresses.map(normalizeAddress))
  const states = createLruMap<string, AddressState>(limits.maxTrackedAddresses)
  let open = 0
  let capLoggedAt = -Infinity

  function stateOf(key: string, now: number): AddressState {
    return states.use(key, () => ({
      tokens: limits.connectRate.burst,
      refilledAt: now,
      failures: 0,
      failuresSince: now,
      strikes: 0,
      lastFailureAt: -Infinity,
      blockedUntil: -Infinity,
      loggedAt: -Infinity,
    }))
  }

  function shouldLog(state: { loggedAt: number }, now: number): boolean {
    if (now - state.loggedAt < limits.logWindowMs) return false
    state.loggedAt = now
    return true
  }

  const keyOf = (address: string | undefined): string | undefined => {
    if (address === undefined) return undefined
    const normalized = normalizeAddress(address)
    return exempt.has(normalized) ? undefined : addressKey(normalized)
  }

  return {
    admit(address) {
      const now = clock.now()
      const shown = address ?? 'unknown'
      if (open >= limits.maxConnections) {
        const log = now - capLoggedAt >= limits.logWindowMs
        if (log) capLoggedAt = now
        return { ok: false, reason: 'max_connections', address: shown, log }
      }
      const key = keyOf(address)
      if (key !== undefined) {
        const state = stateOf(key, now)
        if (state.blockedUntil > now)
          return { ok: false, reason: 'auth_backoff', address: shown, log: shouldLog(state, now) }
        const { perSecond, burst } = limits.connectRate
        state.tokens = Math.min(burst, state.tokens + ((now - state.refilledAt) * perSecond) / 1000)
        state.refilledAt = now
        if (state.tokens < 1)
          return { ok: false, reason: 'connect_rate', address: shown, log: shouldLog(state, now) }
        state.tokens -= 1
      }
      open++
      let released = false
      return {
        ok: true,
        release() {
          if (released) return
          released = true
          open--
        },
      }
    },

    authFailed(address) {
      const key = keyOf(address)
      if (key === undefined) return
      const now = clock.now()
      const state = stateOf(key, now)
      const { failures, windowMs, initialMs, maxMs } = limits.authBackoff
      if (now - state.failuresSince > windowMs) {
        state.failures = 0
        state.failuresSince = now
      }
      // A quiet spell as long as the longest delay forgives earlier strikes.
      if (now - state.lastFailureAt > maxMs) state.strikes = 0
      state.lastFailureAt = now
      state.failures++
      if (state.failures < failures) return
      state.blockedUntil = now + Math.min(initialMs * 2 ** state.strikes, maxMs)
      state.strikes++
      state.failures = 0
      state.failuresSince = now
    },

    authSucceeded(address) {
      const key = keyOf(address)
      const state = key === undefined ? undefined : states.peek(key)
      if (state) state.failures = 0
    },

    open: () => open,
    tracked: () => states.size,
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1`; a zone id is dropped. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase().replace(/%.*$/, '')
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice('::ffff:'.length) : lower
}

/** The per-address key: an IPv4 address itself, an IPv6 address's /64 prefix. */
export function addressKey(normalized: string): string {
  if (!normalized.includes(':')) return normalized
  const [head = '', tail] = normalized.split('::', 2)
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros =
    tail === undefined ? [] : Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0')
  const groups = [...headGroups, ...zeros, ...tailGroups].map((g) => g.replace(/^0+(?=.)/, ''))
  return `${groups.slice(0, 4).join(':')}::/64`
}
