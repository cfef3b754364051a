import { resolve } from 'node:path'
import cookie from '@fastify/cookie'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { createAlertCommandSender } from '../../core/alerts/command-sender.js'
import { createInfluxAdapter } from '../../core/influx/client.js'
import type { Component } from '../../core/lifecycle.js'
import { findRepoRoot } from '../../core/repo-root.js'
import { createAuditLog } from './audit.js'
import { registerApiRoutes } from './api-routes.js'
import { registerAuthRoutes } from './auth-routes.js'
import type { WebConfig } from './config.js'
import { createEventRing } from './event-ring.js'
import { createFeeds } from './feeds.js'
import { refuse } from './http-errors.js'
import { createWebMetrics } from './metrics.js'
import { createPipelineScraper } from './prom-text.js'
import { createLoginLimiter, createSessionStore } from './sessions.js'
import { createThrottle, createWard, type DeviceView } from './ward.js'

export interface WebService {
  components: Component[]
  app: FastifyInstance
  /** The bound port once started (http.port 0 picks one). */
  port(): number
}

export function createWebService(
  config: WebConfig,
  logger: Logger,
  registry: Registry,
  onFatal: (err: unknown) => void,
): WebService {
  // From the package root, not import.meta.url: the compiled code runs from dist/, public/ is not copied.
  const root = findRepoRoot(import.meta.url)
  const metrics = createWebMetrics(registry)
  const ring = createEventRing(config.sse.buffer)
  const ward = createWard({
    maxDevices: config.tap.maxDevices,
    trendPoints: config.tap.trendPoints,
    recentAlarms: config.alarms.recent,
  })
  const audit = createAuditLog(resolve(config.audit.file), config.audit.recent)
  const sessions = createSessionStore(config.sessions.ttlMs)
  const influx = createInfluxAdapter(config.influx)
  const sender = createAlertCommandSender(config.kafka, `${config.kafka.clientId}-web-commands`, logger)
  const status: Record<string, string> = { kafka: 'connecting', influx: 'unknown' }
  const setStatus = (name: string, value: string): void => {
    if (status[name] === value) return
    status[name] = value
    ring.push('status', { ...status })
    metrics.liveEvents.inc({ type: 'status' })
  }
  const push = (type: string, data: unknown): void => {
    ring.push(type, data)
    metrics.liveEvents.inc({ type })
  }
  const throttle = createThrottle<DeviceView>(config.tap.throttleMs, (_id, device) => push('reading', device))
  const startedMs = Date.now()
  const feeds = createFeeds({
    kafka: config.kafka,
    groupPrefix: config.consumerGroup,
    logger,
    onAlert: (event) => {
      if (event.eventTsMs < startedMs - config.alarms.lookbackMs) return
      push('alarm', ward.applyAlert(event))
    },
    onReading: (reading) => {
      throttle.offer(reading.deviceId, ward.applyReading(reading))
      metrics.devices.set(ward.deviceCount())
    },
    onBadRecord: (channel) => metrics.badRecords.inc({ channel }),
    onFatal,
  })
  const scraper = createPipelineScraper(
    config.pipeline.metricsUrls,
    config.pipeline.scrapeIntervalMs,
    (summary) => push('pipeline', summary),
  )

  const app = Fastify({ logger: false, bodyLimit: 16_384 })
  void app.register(cookie)
  void app.register(fastifyStatic, {
    root: resolve(root, 'processors/web/public'),
    prefix: '/',
    index: 'index.html',
  })
  void app.register(fastifyStatic, {
    root: resolve(root, 'node_modules/uplot/dist'),
    prefix: '/vendor/uplot/',
    decorateReply: false,
  })
  registerAuthRoutes(app, {
    usersFile: resolve(config.users.file),
    sessions,
    audit,
    metrics,
    ttlMs: config.sessions.ttlMs,
    limiter: createLoginLimiter(config.sessions.maxFailures, config.sessions.lockoutMs),
  })
  registerApiRoutes(app, {
    ward,
    ring,
    sessions,
    audit,
    metrics,
    sender,
    influx,
    bucket: config.influx.bucket,
    logger,
    status: () => ({ ...status }),
    pipeline: () => scraper.latest(),
    silentAfterMs: config.tap.silentAfterMs,
  })
  app.get('/healthz', () => ({ status: 'ok' }))
  app.get('/readyz', (_req, reply) => {
    const reasons = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== 'ok'))
    const ready = Object.keys(reasons).length === 0
    return reply.code(ready ? 200 : 503).send(ready ? { status: 'ready' } : { status: 'not-ready', reasons })
  })
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()))
  app.setNotFoundHandler((request, reply) =>
    refuse(reply, 'WEB_NOT_FOUND', `no ${request.method} ${request.url.split('?')[0]}`),
  )
  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) => {
    // fastify's own refusals (a malformed JSON body, an oversized one) are the client's fault.
    if (err.statusCode && err.statusCode < 500) return refuse(reply, 'WEB_BAD_REQUEST', err.message)
    logger.error({ err }, 'web request failed')
    return reply.code(500).send({ error: { code: 'LIFECYCLE_COMPONENT_FAILED', message: 'internal error' } })
  })

  let timers: NodeJS.Timeout[] = []
  const checkInflux = (): void => {
    influx.ping().then(
      (up) => setStatus('influx', up ? 'ok' : 'unreachable'),
      () => setStatus('influx', 'unreachable'),
    )
  }
  const checkKafka = (): void => {
    const assigned = feeds.consumers().every((c) => c.assignments().length > 0)
    setStatus('kafka', feeds.consumers().length > 0 && assigned ? 'ok' : 'unreachable')
  }
  const server: Component = {
    name: 'web-http',
    async start() {
      await app.listen({ host: config.http.host, port: config.http.port })
      logger.info(
        { url: `http://${config.http.host}:${(app.server.address() as { port: number }).port}/` },
        'web console listening',
      )
    },
    async stop() {
      await app.close()
    },
  }
  // The console comes up even when Kafka or InfluxDB are down: the page says so (a banner).
  const backgrounds: Component = {
    name: 'web-live',
    start() {
      timers = [
        setInterval(() => throttle.flush(), Math.max(100, Math.floor(config.tap.throttleMs / 4))),
        setInterval(checkInflux, 5_000),
        setInterval(checkKafka, 2_000),
      ]
      checkInflux()
      void Promise.all([sender.start(), feeds.start()]).then(
        () => checkKafka(),
        (err: unknown) => {
          logger.error({ err }, 'Kafka not reachable; the console shows it and stays up')
          setStatus('kafka', 'unreachable')
        },
      )
      return scraper.start()
    },
    async stop() {
      for (const t of timers) clearInterval(t)
      await scraper.stop()
      await feeds.stop()
      await sender.stop()
      await influx.close()
    },
  }
  return {
    components: [server, backgrounds],
    app,
    port: () => (app.server.address() as { port: number } | null)?.port ?? 0,
  }
}
