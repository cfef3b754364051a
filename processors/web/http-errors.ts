import type { FastifyReply } from 'fastify'
import type { z } from 'zod'
import type { ErrorCode } from '../../core/errors.js'

const STATUS: Partial<Record<ErrorCode, number>> = {
  WEB_BAD_REQUEST: 400,
  WEB_UNAUTHENTICATED: 401,
  WEB_FORBIDDEN: 403,
  WEB_NOT_FOUND: 404,
  WEB_LOGIN_LOCKED: 429,
  WEB_QUERY_FAILED: 503,
  WEB_COMMAND_FAILED: 503,
}

/** Every refusal has one JSON shape: a stable code (core/errors.ts) and a message for people. */
export function refuse(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(STATUS[code] ?? 500).send({ error: { code, message } })
}

/** Parses with zod; on failure answers 400 with every problem and returns undefined. */
export function parseOr400<S extends z.ZodType>(
  reply: FastifyReply,
  schema: S,
  value: unknown,
): z.output<S> | undefined {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const message = result.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')
  void refuse(reply, 'WEB_BAD_REQUEST', message)
  return undefined
}
