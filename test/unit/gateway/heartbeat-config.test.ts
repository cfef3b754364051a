import { describe, expect, it } from 'vitest'
import { gatewayConfigSchema } from '../../../gateway/config.js'

describe('unit > gateway > heartbeat and shutdown config', () => {
  it('defaults: a heartbeat a second, partition counts read every minute, a 30 s grace', () => {
    const config = gatewayConfigSchema.parse({})
    expect(config.heartbeat).toEqual({ enabled: true, intervalMs: 1_000, metadataRefreshMs: 60_000 })
    expect(config.shutdown).toEqual({ timeoutMs: 15_000, graceMs: 30_000 })
  })

  it('refuses unknown keys and out-of-range values', () => {
    expect(gatewayConfigSchema.safeParse({ heartbeat: { interval: 5 } }).success).toBe(false)
    expect(gatewayConfigSchema.safeParse({ heartbeat: { intervalMs: 10 } }).success).toBe(false)
    expect(gatewayConfigSchema.safeParse({ shutdown: { graceMs: -1 } }).success).toBe(false)
    expect(gatewayConfigSchema.safeParse({ shutdown: { grace: 1 } }).success).toBe(false)
    const tool = gatewayConfigSchema.parse({ heartbeat: { enabled: false, gatewayId: 'gw-a' } })
    expect(tool.heartbeat).toMatchObject({ enabled: false, gatewayId: 'gw-a' })
  })
})
