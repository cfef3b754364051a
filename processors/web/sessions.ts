import { randomBytes } from 'node:crypto'
import type { Role } from './users.js'

export interface Session {
  token: string
  user: string
  role: Role
  expiresMs: number
}

/** Sign-in sessions: random 256-bit tokens, expiring; in memory (a restart signs everyone out). */
export function createSessionStore(ttlMs: number, now: () => number = Date.now) {
  const sessions = new Map<string, Session>()
  return {
    create(user: string, role: Role): Session {
      const session = { token: randomBytes(32).toString('base64url'), user, role, expiresMs: now() + ttlMs }
      sessions.set(session.token, session)
      return session
    },
    get(token: string | undefined): Session | undefined {
      if (!token) return undefined
      const session = sessions.get(token)
      if (session && session.expiresMs <= now()) {
        sessions.delete(token)
        return undefined
      }
      return session
    },
    delete(token: string): void {
      sessions.delete(token)
    },
    size: () => sessions.size,
  }
}
export type SessionStore = ReturnType<typeof createSessionStore>

/** Failed sign-ins per user name: after maxFailures, sign-in is refused until lockoutMs has passed. */
export function createLoginLimiter(maxFailures: number, lockoutMs: number, now: () => number = Date.now) {
  const failures = new Map<string, { count: number; untilMs: number }>()
  return {
    locked(user: string): boolean {
      const entry = failures.get(user)
      if (!entry || entry.count < maxFailures) return false
      if (entry.untilMs <= now()) {
        failures.delete(user)
        return false
      }
      return true
    },
    failed(user: string): void {
      const entry = failures.get(user) ?? { count: 0, untilMs: 0 }
      entry.count += 1
      entry.untilMs = now() + lockoutMs
      // Bounded: names that do not exist are counted too (no user enumeration), so cap the map.
      if (!failures.has(user) && failures.size >= 10_000)
        failures.delete(failures.keys().next().value as string)
      failures.set(user, entry)
    },
    succeeded(user: string): void {
      failures.delete(user)
    },
  }
}
