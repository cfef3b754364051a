import { Counter } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createObservabilityServer, type ObservabilityServer } from '../../../core/http.js'
import { createMetricsRegistry } from '../../../core/metrics.js'

let server: ObservabilityServer | undefined
afterEach(async () => server?.stop())

async function start(ready: () => string | undefined | Promise<string | undefined>): Promise<string> {
  const registry = createMetricsRegistry('test')
  new Counter({ name: 'pulsewire_test_things_total', help: 'things', registers: [registry] }).inc(3)
  server = createObservabilityServer({ host: '127.0.0.1', port: 0 }, registry, { kafka: ready })
  await server.start()
  return `http://127.0.0.1:${server.address()?.port}`
}

describe('core > http > observability server', () => {
  it('serves Prometheus metrics with the process metrics and the service label', async () => {
    const base = await start(() => undefined)
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toContain('pulsewire_test_things_total{service="test"} 3')
    expect(text).toContain('pulsewire_process_resident_memory_bytes')
  })

  it('answers /healthz always and /readyz only when every check passes', async () => {
    let reason: string | undefined = 'kafka unreachable'
    const base = await start(() => reason)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const notReady = await fetch(`${base}/readyz`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toEqual({ status: 'not-ready', reasons: { kafka: 'kafka unreachable' } })
    reason = undefined
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    expect((await fetch(`${base}/nope`)).status).toBe(404)
  })

  it('names no address in /readyz when a check throws (the body is unauthenticated)', async () => {
    const base = await start(() => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:9092 user=admin')))
    const res = await fetch(`${base}/readyz`)
    expect(res.status).toBe(503)
    const body = await res.text()
    expect(JSON.parse(body)).toEqual({ status: 'not-ready', reasons: { kafka: 'check failed' } })
    expect(body).not.toContain('10.1.2.3')
  })
})
