import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { HttpConfig } from './config/shared.js'
import type { Component } from './lifecycle.js'

/** A readiness check: resolves to a reason when not ready, or undefined when ready. */
export type ReadinessCheck = () => string | undefined | Promise<string | undefined>

export interface ObservabilityServer extends Component {
  /** The bound address, once started (port 0 resolves to the real port). */
  address(): AddressInfo | undefined
}

/**
 * `/metrics` (Prometheus text), `/healthz` (the process is alive) and `/readyz` (every
 * dependency answers: 503 with the reasons otherwise, so a load balancer stops routing to it).
 */
export function createObservabilityServer(
  config: HttpConfig,
  registry: Registry,
  readiness: Record<string, ReadinessCheck> = {},
): ObservabilityServer {
  let server: Server | undefined

  async function notReadyReasons(): Promise<Record<string, string>> {
    const reasons: Record<string, string> = {}
    for (const [name, check] of Object.entries(readiness)) {
      try {
        const reason = await check()
        if (reason) reasons[name] = reason
      } catch {
        // A thrown check's message may name hosts or credentials; /readyz is unauthenticated.
        reasons[name] = 'check failed'
      }
    }
    return reasons
  }

  async function handle(path: string): Promise<{ status: number; type: string; body: string }> {
    if (path === '/metrics')
      return { status: 200, type: registry.contentType, body: await registry.metrics() }
    if (path === '/healthz') return { status: 200, type: 'application/json', body: '{"status":"ok"}' }
    if (path === '/readyz') {
      const reasons = await notReadyReasons()
      const ready = Object.keys(reasons).length === 0
      return {
        status: ready ? 200 : 503,
        type: 'application/json',
        body: JSON.stringify(ready ? { status: 'ready' } : { status: 'not-ready', reasons }),
      }
    }
    return { status: 404, type: 'application/json', body: '{"error":"not found"}' }
  }

  return {
    name: 'http',
    address: () => (server?.address() as AddressInfo | null) ?? undefined,
    start: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0] ?? '/'
          handle(path).then(
            ({ status, type, body }) => {
              res.writeHead(status, { 'content-type': type })
              res.end(body)
            },
            (err: unknown) => {
              res.writeHead(500, { 'content-type': 'text/plain' })
              res.end(err instanceof Error ? err.message : 'internal error')
            },
          )
        })
        server.once('error', reject)
        server.listen(config.port, config.host, () => resolve())
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
