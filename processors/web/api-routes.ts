import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { z } from 'zod'
import { MAX_SILENCE_WIRE_MS, ALERT_COMMANDS } from '../../core/alerts/alert-command.js'
import { parseAlertId } from '../../core/alerts/alert-event.js'
import { buildAlertCommand, type AlertCommandSender } from '../../core/alerts/command-sender.js'
import type { InfluxAdapter } from '../../core/influx/client.js'
import { parseQuerySpec } from '../../core/influx/query/query-spec.js'
import { runQuery } from '../../core/influx/query/run-query.js'
import type { AuditLog } from './audit.js'
import { requireRole, sessionOf } from './auth-routes.js'
import type { EventRing } from './event-ring.js'
import { parseOr400, refuse } from './http-errors.js'
import type { WebMetrics } from './metrics.js'
import type { PipelineSummary } from './prom-text.js'
import type { SessionStore } from './sessions.js'
import type { Ward } from './ward.js'

export interface ApiDeps {
  ward: Ward
  ring: EventRing
  sessions: SessionStore
  audit: AuditLog
  metrics: WebMetrics
  sender: AlertCommandSender
  influx: InfluxAdapter
  bucket: string
  logger: Logger
  status: () => Record<string, string>
  pipeline: () => PipelineSummary | undefined
  silentAfterMs: number
}

export const actionParams = z.strictObject({ action: z.enum(ALERT_COMMANDS) })
export const actionBody = z.strictObject({
  alertId: z
    .string()
    .min(3)
    .max(600)
    .refine((id) => parseAlertId(id) !== undefined, 'not <deviceId>/<ruleId>/<episode>'),
  reason: z.string().max(500).optional(),
  durationMs: z.number().int().min(1_000).max(MAX_SILENCE_WIRE_MS).optional(),
})
export const deviceParams = z.strictObject({ deviceId: z.string().min(1).max(256) })
export const seriesQuery = z.strictObject({
  start: z.string().max(64).default('-1h'),
  stop: z.string().max(64).optional(),
  metrics: z.string().max(1_000).optional(),
})
export const lastEventIdSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

const ANY = ['viewer', 'clinician'] as const

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const signedIn = { preHandler: requireRole(deps.sessions, ANY) }

  app.get('/api/snapshot', signedIn, () => ({
    lastEventId: deps.ring.lastId(),
    nowMs: Date.now(),
    silentAfterMs: deps.silentAfterMs,
    alarms: deps.ward.activeAlarms(),
    recent: deps.ward.recentAlarms(),
    devices: deps.ward.devices(),
    audit: deps.audit.recent(),
    status: deps.status(),
    pipeline: deps.pipeline() ?? null,
  }))

  app.get('/api/events', signedIn, (request, reply) => {
    const raw = request.headers['last-event-id'] ?? (request.query as Record<string, unknown>).lastEventId
    const lastId = raw === undefined ? deps.ring.lastId() : lastEventIdSchema.safeParse(raw)
    const from = typeof lastId === 'number' ? lastId : lastId.success ? lastId.data : -1
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    const write = (id: number, type: string, data: unknown): void => {
      res.write(`id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    const catchUp = deps.ring.since(from)
    if (catchUp.kind === 'resync') {
      deps.metrics.resyncs.inc()
      write(deps.ring.lastId(), 'resync', { lastEventId: deps.ring.lastId() })
    } else for (const e of catchUp.events) write(e.id, e.type, e.data)
    const unsubscribe = deps.ring.subscribe((e) => write(e.id, e.type, e.data))
    // A comment every 15 s keeps proxies from closing an idle stream; it does not move the id.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
    deps.metrics.sseClients.inc()
    request.raw.once('close', () => {
      clearInterval(keepAlive)
      unsubscribe()
      deps.metrics.sseClients.dec()
    })
  })

  app.post(
    '/api/alarms/:action',
    { preHandler: requireRole(deps.sessions, ['clinician']) },
    async (request, reply) => {
      const params = parseOr400(reply, actionParams, request.params)
      if (!params) return reply
      const body = parseOr400(reply, actionBody, request.body ?? {})
      if (!body) return reply
      const session = sessionOf(request, deps.sessions)
      if (!session) return refuse(reply, 'WEB_UNAUTHENTICATED', 'sign in first')
      const command = buildAlertCommand({
        command: params.action,
        alertId: body.alertId,
        by: session.user, // the signed-in clinician, never a name from the request
        atMs: Date.now(),
        reason: body.reason,
        durationMs: params.action === 'silence' ? body.durationMs : undefined,
        source: 'web',
      })
      const entry = {
        atMs: command.atMs,
        user: session.user,
        action: params.action,
        alertId: body.alertId,
        commandId: command.commandId,
        reason: command.reason,
      }
      try {
        await deps.sender.send(command)
      } catch (err) {
        deps.logger.warn({ err, code: 'WEB_COMMAND_FAILED' }, 'alarm command not produced')
        deps.metrics.actions.inc({ action: params.action, outcome: 'failed' })
        deps.audit.append({ ...entry, outcome: 'failed' })
        deps.ring.push('audit', deps.audit.recent().at(-1))
        return refuse(reply, 'WEB_COMMAND_FAILED', 'Kafka did not take the command; try again')
      }
      deps.metrics.actions.inc({ action: params.action, outcome: 'ok' })
      deps.audit.append({ ...entry, outcome: 'ok' })
      deps.ring.push('audit', deps.audit.recent().at(-1))
      return reply.code(202).send({ commandId: command.commandId, by: command.by })
    },
  )

  app.get('/api/devices/:deviceId/series', signedIn, async (request, reply) => {
    const params = parseOr400(reply, deviceParams, request.params)
    if (!params) return reply
    const query = parseOr400(reply, seriesQuery, request.query)
    if (!query) return reply
    const parsed = parseQuerySpec({
      devices: [params.deviceId],
      start: query.start,
      stop: query.stop,
      metrics: query.metrics ? query.metrics.split(',') : undefined,
      limit: 20_000,
    })
    if (!parsed.ok)
      return refuse(reply, 'WEB_BAD_REQUEST', parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '))
    try {
      const result = await runQuery(deps.influx, parsed.spec, deps.bucket)
      const episodes = [...deps.ward.activeAlarms(), ...deps.ward.recentAlarms()]
        .filter((a) => a.deviceId === params.deviceId)
        .map((a) => ({
          alertId: a.alertId,
          priority: a.priority,
          kind: a.kind,
          startMs: a.raisedMs,
          endMs: a.active ? null : a.updatedMs,
        }))
      return {
        columns: result.columns,
        rows: result.rows,
        truncated: result.truncated,
        episodes,
        device: deps.ward.device(params.deviceId) ?? null,
      }
    } catch (err) {
      deps.logger.warn({ err, code: 'WEB_QUERY_FAILED' }, 'device series query failed')
      return refuse(reply, 'WEB_QUERY_FAILED', 'InfluxDB did not answer the query')
    }
  })

  app.get('/api/pipeline', signedIn, () => deps.pipeline() ?? null)
}
