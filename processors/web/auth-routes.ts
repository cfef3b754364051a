import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AuditLog } from './audit.js'
import { parseOr400, refuse } from './http-errors.js'
import type { WebMetrics } from './metrics.js'
import type { createLoginLimiter } from './sessions.js'
import { type Session, type SessionStore } from './sessions.js'
import { hashPassword, readUsers, verifyPassword, type Role } from './users.js'

export const SESSION_COOKIE = 'pw_session'

const loginSchema = z.strictObject({ user: z.string().min(1).max(64), password: z.string().min(1).max(1024) })

// Compared against when the user does not exist, so a wrong name costs the same as a wrong password.
const DUMMY = hashPassword('not-a-password')

export interface AuthDeps {
  usersFile: string
  sessions: SessionStore
  audit: AuditLog
  metrics: WebMetrics
  ttlMs: number
  limiter: ReturnType<typeof createLoginLimiter>
}

export function sessionOf(request: FastifyRequest, sessions: SessionStore): Session | undefined {
  return sessions.get(request.cookies[SESSION_COOKIE])
}

/** A preHandler: 401 without a valid session, 403 when the role is not allowed. */
export function requireRole(sessions: SessionStore, roles: readonly Role[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const session = sessionOf(request, sessions)
    if (!session) return void (await refuse(reply, 'WEB_UNAUTHENTICATED', 'sign in first'))
    if (!roles.includes(session.role))
      return void (await refuse(
        reply,
        'WEB_FORBIDDEN',
        `a ${session.role} may not do this; only ${roles.join(' or ')}`,
      ))
  }
}

export function registerAuthRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/login', async (request, reply) => {
    const body = parseOr400(reply, loginSchema, request.body)
    if (!body) return reply
    const atMs = Date.now()
    if (deps.limiter.locked(body.user)) {
      deps.metrics.logins.inc({ outcome: 'locked' })
      deps.audit.append({ atMs, user: body.user.slice(0, 64), action: 'login-locked', outcome: 'refused' })
      return refuse(reply, 'WEB_LOGIN_LOCKED', 'too many failed sign-ins; try again later')
    }
    // Read at each sign-in: `pulsewire web user add` takes effect without a restart.
    const user = readUsers(deps.usersFile).find((u) => u.name === body.user)
    const valid = verifyPassword(user ?? DUMMY, body.password) && user !== undefined
    if (!valid || !user) {
      deps.limiter.failed(body.user)
      deps.metrics.logins.inc({ outcome: 'failed' })
      deps.audit.append({ atMs, user: body.user.slice(0, 64), action: 'login-failed', outcome: 'refused' })
      return refuse(reply, 'WEB_UNAUTHENTICATED', 'unknown user or wrong password')
    }
    deps.limiter.succeeded(user.name)
    const session = deps.sessions.create(user.name, user.role)
    deps.metrics.logins.inc({ outcome: 'ok' })
    deps.audit.append({ atMs, user: user.name, action: 'login', outcome: 'ok' })
    return reply
      .setCookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        maxAge: Math.floor(deps.ttlMs / 1000),
      })
      .send({ user: user.name, role: user.role })
  })

  app.post('/api/logout', async (request, reply) => {
    const session = sessionOf(request, deps.sessions)
    if (session) {
      deps.sessions.delete(session.token)
      deps.audit.append({ atMs: Date.now(), user: session.user, action: 'logout', outcome: 'ok' })
    }
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).send({ ok: true })
  })

  // "Who am I" has an answer when nobody is signed in: a page opening on the sign-in form is not
  // an error (a 401 here would log a console error in every browser at every first visit).
  app.get('/api/me', (request) => {
    const session = sessionOf(request, deps.sessions)
    return session ? { user: session.user, role: session.role } : { user: null, role: null }
  })
}
