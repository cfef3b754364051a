import { describe, expect, it } from 'vitest'
import { systemClock } from '../../../core/clock.js'
import { createMetricsRegistry } from '../../../core/metrics.js'
import { gatewayConfigSchema } from '../../../gateway/config.js'
import { createDeviceStore } from '../../../gateway/device-store/device-store.js'
import { createGatewayService } from '../../../gateway/service.js'
import { silentLogger, testKafka } from '../../helpers/services.js'

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`)
  return {
    status: res.status,
    body: (await res.json()) as { status: string; reasons?: Record<string, string> },
  }
}

describe('integration > gateway > readiness', () => {
  it('is ready only once devices can connect: not before its listeners are bound', async () => {
    const service = createGatewayService({
      config: gatewayConfigSchema.parse({
        mqtt: { port: 0, websocketPort: false },
        http: { port: 0 },
        kafka: testKafka,
        log: { level: 'silent' },
      }),
      directory: createDeviceStore(),
      logger: silentLogger,
      metrics: createMetricsRegistry('gateway'),
      clock: systemClock,
    })
    const listeners = service.components.at(-1)!
    expect(listeners.name).toBe(service.listeners.name)
    const started = []
    for (const component of service.components.slice(0, -1)) {
      await component.start()
      started.push(component)
    }
    try {
      const url = `http://127.0.0.1:${service.http.address()?.port}`
      // Kafka answers and the broker runs, but no port accepts a device yet (a load balancer must wait).
      const before = await readyz(url)
      expect(before.status).toBe(503)
      expect(JSON.stringify(before.body)).toContain('not listening yet')
      await listeners.start()
      started.push(listeners)
      expect((await readyz(url)).status).toBe(200)
    } finally {
      for (const component of started.reverse()) await component.stop()
    }
  })
})
