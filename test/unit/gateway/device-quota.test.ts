import pino from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { gatewayConfigSchema } from '../../../gateway/config.js'
import { createDeviceQuota, type DeviceQuotaLimits } from '../../../gateway/device-quota.js'
import { createGatewayMetrics } from '../../../gateway/metrics.js'
import { createQuotaGate } from '../../../gateway/quota-gate.js'
import { FakeClock } from '../../helpers/fake-clock.js'

const limits: DeviceQuotaLimits = {
  devicePublish: {
    messagesPerSecond: 10,
    messagesBurst: 5,
    bytesPerSecond: 1_000,
    bytesBurst: 2_000,
    maxThrottleMs: 1_000,
  },
  dlqQuota: { perMinute: 6, burst: 3 },
  maxTrackedDevices: 3,
}

function setup(overrides: Partial<DeviceQuotaLimits> = {}) {
  const clock = new FakeClock()
  const quota = createDeviceQuota({ ...limits, ...overrides }, clock)
  return { clock, quota }
}

describe('gateway > device quota > publish rate', () => {
  it('forwards a burst at once, then holds each publish one refill interval behind the last', () => {
    const { quota } = setup()
    const delays = Array.from({ length: 8 }, () => quota.publish('d1', 10).delayMs)
    expect(delays).toEqual([0, 0, 0, 0, 0, 100, 200, 300])
    expect(quota.publish('d1', 10)).toEqual({ action: 'forward', delayMs: 400, limit: 'messages' })
  })

  it('refills with time, up to the burst and no further', async () => {
    const { clock, quota } = setup()
    for (let i = 0; i < 5; i++) quota.publish('d1', 1)
    await clock.advance(300) // 3 tokens back
    expect([1, 2, 3, 4].map(() => quota.publish('d1', 1).delayMs)).toEqual([0, 0, 0, 100])
    await clock.advance(60_000) // long idle: the bucket is full again, not 600 tokens
    expect(Array.from({ length: 6 }, () => quota.publish('d1', 1).delayMs)).toEqual([0, 0, 0, 0, 0, 100])
  })

  it('keeps devices apart: one device in debt does not slow another', () => {
    const { quota } = setup()
    for (let i = 0; i < 9; i++) quota.publish('flood', 1)
    expect(quota.publish('flood', 1).delayMs).toBeGreaterThan(0)
    expect(quota.publish('quiet', 1)).toEqual({ action: 'forward', delayMs: 0 })
  })

  it('limits bytes too, and names the limit that binds', () => {
    const { quota } = setup()
    expect(quota.publish('d1', 1_500).delayMs).toBe(0)
    expect(quota.publish('d1', 1_000)).toEqual({ action: 'forward', delayMs: 500, limit: 'bytes' })
  })

  it('closes instead of holding a publish longer than maxThrottleMs, and does not charge it', () => {
    const { quota } = setup()
    const verdicts = Array.from({ length: 16 }, () => quota.publish('d1', 1))
    // Burst 5, then 100 ms more each: the 16th would wait 1 100 ms > 1 000 ms.
    expect(verdicts.slice(0, 15).every((v) => v.action === 'forward')).toBe(true)
    expect(verdicts[15]).toEqual({ action: 'disconnect', delayMs: 1_100, limit: 'messages' })
    expect(quota.publish('d1', 1)).toEqual({ action: 'disconnect', delayMs: 1_100, limit: 'messages' })
  })

  it('remembers a device across reconnects (keyed by id) but evicts the least recently seen', () => {
    const { quota } = setup()
    for (let i = 0; i < 5; i++) quota.publish('a', 1)
    quota.publish('b', 1)
    quota.publish('c', 1)
    expect(quota.publish('a', 1).delayMs).toBe(100) // still in debt: 'a' was not evicted
    quota.publish('d', 1) // a fourth device evicts the least recently seen ('b')
    expect(quota.tracked()).toBe(3)
    quota.publish('b', 1)
    expect(quota.tracked()).toBe(3)
    expect(quota.publish('c', 1).delayMs).toBe(0) // 'c' was evicted by 'b': full bucket again
  })
})

describe('gateway > device quota > DLQ', () => {
  it('gives a burst of DLQ records, then one per refill interval', async () => {
    const { clock, quota } = setup()
    expect(Array.from({ length: 5 }, () => quota.dlq('poison'))).toEqual([true, true, true, false, false])
    expect(quota.dlq('other')).toBe(true)
    await clock.advance(10_000) // 6 a minute: one back
    expect([quota.dlq('poison'), quota.dlq('poison')]).toEqual([true, false])
  })
})

describe('gateway > quota gate', () => {
  function gate() {
    const clock = new FakeClock()
    const registry = new Registry()
    const metrics = createGatewayMetrics(registry)
    const lines: unknown[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const g = createQuotaGate({ quota: createDeviceQuota(limits, clock), clock, metrics, logger })
    const value = async (name: string): Promise<number> =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((n, v) => n + v.value, 0)
    return { clock, g, value, lines }
  }

  it('forwards within the rate without a promise, holds over it on the clock, closes far over it', async () => {
    const { clock, g, value, lines } = gate()
    const conn = {}
    for (let i = 0; i < 5; i++) expect(g.publish('d1', 1, conn)).toBeUndefined()
    let released = false
    void g.publish('d1', 1, conn)?.then(() => (released = true))
    await clock.advance(99)
    expect(released).toBe(false)
    await clock.advance(1)
    expect(released).toBe(true)
    // Back at 0 tokens: ten more wait 100 … 1 000 ms, the eleventh would wait 1 100 ms.
    for (let i = 0; i < 10; i++) void g.publish('d1', 1, conn)
    await expect(g.publish('d1', 1, conn)).rejects.toThrow(/devicePublish/)
    await expect(g.publish('d1', 1, conn)).rejects.toThrow(/closing/) // the rest of the read
    expect(await value('pulsewire_gateway_publishes_throttled_total')).toBe(11)
    expect(await value('pulsewire_gateway_quota_disconnects_total')).toBe(1)
    expect(await value('pulsewire_gateway_publish_throttle_seconds_total')).toBeCloseTo(5.6, 5)
    expect(lines).toHaveLength(1) // the first event; the rest wait for the next window
    await clock.advance(60_000)
    expect(g.dlq('d1', 'malformed')).toBe(true)
  })

  it('counts and drops DLQ records over the quota, with one summary line a minute', async () => {
    const { clock, g, value, lines } = gate()
    const kept = Array.from({ length: 50 }, () => g.dlq('poison', 'malformed')).filter(Boolean)
    expect(kept).toHaveLength(3)
    expect(await value('pulsewire_gateway_dlq_dropped_total')).toBe(47)
    expect(lines).toHaveLength(1)
    await clock.advance(60_000)
    for (let i = 0; i < 20; i++) g.dlq('poison', 'malformed')
    expect(lines).toHaveLength(2)
    // Logged on the first drop of the new window: the 46 held since the first line, plus this one.
    expect(lines[1]).toMatchObject({ dlqDropped: 47, devices: ['poison'] })
  })
})

describe('gateway > config > per-device limits', () => {
  it('defaults sit far above the simulator (1/s) and loadtest (≤ 333/s) per device', () => {
    const { limits: l } = gatewayConfigSchema.parse({})
    expect(l.devicePublish.messagesPerSecond).toBeGreaterThanOrEqual(3 * 333)
    expect(l.devicePublish.bytesBurst).toBeGreaterThanOrEqual(l.maxPacketBytes)
  })

  it('refuses a bytes bucket smaller than one largest packet', () => {
    const parsed = gatewayConfigSchema.safeParse({ limits: { devicePublish: { bytesBurst: 1_024 } } })
    expect(parsed.success).toBe(false)
  })
})
