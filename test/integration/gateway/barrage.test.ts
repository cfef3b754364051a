import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBarrage } from '../../../bench/barrage/attackers.js'
import { startGoodDevices } from '../../../bench/fuzz/good-devices.js'
import { startRssSampler } from '../../../bench/fuzz/rss-sampler.js'
import { decodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'

// The bad-input barrage (issue #10): while 200 good devices publish over real MQTT clients from
// 127.0.0.1 (exempt from the per-address limits by default, ADR 0009), attackers on other
// loopback addresses (127.0.0.2 …, not exempt, so the CONNECT rate and auth back-off apply to
// them) send random bytes, truncated and oversized packets, 256 MB declared lengths, 300
// half-open sockets and 500 wrong-password CONNECTs. The good devices see no error and no
// disconnect, every publish is acknowledged and in Kafka, and memory stays bounded.
//
// The gateway runs in this process (test/helpers/gateway.ts): the RSS measured is this
// process's, gateway plus the 200 clients and the attackers, and the bound is on its growth.
const MB = 1024 * 1024
/** Bound on RSS growth over the barrage (the 256 MB declared lengths alone would be 5 GB unguarded). */
const RSS_GROWTH_BOUND = 150 * MB
const run = unique('barrage')
const goodIds = Array.from({ length: 200 }, (_, i) => `${run}-good-${i}`)
const victims = Array.from({ length: 20 }, (_, i) => `${run}-victim-${i}`)
const addresses = (from: number, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `127.0.0.${from + i}`)
let gateway: TestGateway
let tap: Tap

beforeAll(async () => {
  gateway = await startTestGateway(
    [...goodIds, ...victims].map((id) => ({ id, type: 'bedside-monitor' as const })),
  )
  tap = await tapChannels(testKafka, [CHANNELS.vitals])
})

afterAll(async () => {
  await tap?.stop()
  await gateway?.stop()
})

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}`))
  return line ? Number(line.split(' ').pop()) : 0
}

describe('integration > gateway > bad-input barrage (real sockets, MQTT clients, Kafka)', () => {
  it('200 good devices lose nothing while every kind of bad input hits the same gateway', async () => {
    const identity = (id: string) => ({ id, secret: gateway.secrets.get(id) ?? '' })
    const good = await startGoodDevices(gateway.mqttUrl, goodIds.map(identity), {
      intervalMs: 250,
      ackTimeoutMs: 20_000,
    })
    const rss = startRssSampler()
    const stats = await runBarrage({
      host: '127.0.0.1',
      port: gateway.port,
      seed: 20_261_202,
      counts: { random: 250, truncated: 100, oversized: 50, huge: 20, halfOpen: 300, wrongPassword: 500 },
      sources: {
        random: addresses(2, 1), // 250 from one address: beyond the CONNECT burst of 200
        truncated: addresses(3, 1),
        oversized: addresses(4, 1),
        huge: addresses(5, 1),
        halfOpen: addresses(10, 3), // 100 each: under the burst, so they are admitted and held
        wrongPassword: addresses(6, 1),
      },
      victims: victims.map(identity),
      oversizedBytes: 1 * MB,
      holdMs: 8_000,
      sessionTimeoutMs: 2_000,
    })
    const report = await good.stop()
    const memory = rss.stop()
    console.log(JSON.stringify({ stats, report: { ...report, errors: report.errors.slice(0, 5) }, memory }))

    expect(report.errors).toEqual([])
    expect(report.disconnects).toBe(0)
    expect(report.unacked).toBe(0)
    expect(report.acked).toBe(report.published)
    expect(report.acked).toBeGreaterThanOrEqual(goodIds.length * 10)

    // Every acknowledged reading is in Kafka: one distinct (device, seq) per PUBACK.
    const wanted = new Set(goodIds)
    const stored = await eventually(() => {
      const pairs = new Set<string>()
      for (const r of tap.records) {
        if (r.key === undefined || !wanted.has(r.key)) continue
        const decoded = decodeTelemetry(r.value)
        if (decoded.ok) pairs.add(`${r.key}/${decoded.value.seq}`)
      }
      return pairs.size >= report.acked ? pairs : undefined
    }, 30_000)
    expect(stored.size).toBe(report.acked)

    // The attacks happened and met the limits: nothing here passes by being ignored.
    expect(stats.halfOpen.sockets).toBe(300)
    expect(stats.halfOpen.closedByAttacker).toBe(300) // held to the end, not refused
    expect(stats.wrongPassword.connacks['5']).toBeGreaterThanOrEqual(10)
    expect(
      await metric('pulsewire_gateway_connections_refused_total', 'reason="auth_backoff"'),
    ).toBeGreaterThan(0)
    expect(
      await metric('pulsewire_gateway_connections_refused_total', 'reason="connect_rate"'),
    ).toBeGreaterThan(0)
    expect(
      await metric('pulsewire_gateway_connections_refused_total', 'reason="packet_too_large"'),
    ).toBeGreaterThanOrEqual(stats.huge.sockets)
    expect(stats.huge.closedByGateway).toBe(stats.huge.sockets)
    expect(stats.oversized.closedByGateway).toBe(stats.oversized.sockets)

    expect(memory.maxBytes - memory.baselineBytes).toBeLessThan(RSS_GROWTH_BOUND)
    const ready = await fetch(`${gateway.httpUrl}/readyz`)
    expect(ready.status).toBe(200)
  })
})
