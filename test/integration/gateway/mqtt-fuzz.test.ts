import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGoodDevices } from '../../../bench/fuzz/good-devices.js'
import { runMqttFuzz } from '../../../bench/fuzz/mqtt-fuzz.js'
import { startRssSampler } from '../../../bench/fuzz/rss-sampler.js'
import { encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { protoFixtures } from '../../helpers/fixtures.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

// The short form of the MQTT front fuzz (`npm run fuzz` sends 10^5 packets): raw sockets send
// random bytes, mutated and valid packets and huge declared lengths to a real gateway on real
// Kafka, while good devices publish next to them. The seed is fixed; FUZZ_SEED replays another.
const seed = Number(process.env.FUZZ_SEED ?? 20_261_202)
const packets = Number(process.env.FUZZ_PACKETS ?? 3_000)
const run = unique('fz')
const goodIds = Array.from({ length: 5 }, (_, i) => `${run}-good-${i}`)
const fuzzIds = Array.from({ length: 16 }, (_, i) => `${run}-fuzz-${i}`)
const probe = `${run}-probe`
const faults: string[] = []
const onFault = (kind: string) => (error: unknown) => {
  faults.push(`${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
}
const onRejection = onFault('unhandledRejection')
const onException = onFault('uncaughtException')
let gateway: TestGateway

beforeAll(async () => {
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  gateway = await startTestGateway(
    [...goodIds, ...fuzzIds, probe].map((id) => ({ id, type: 'bedside-monitor' as const })),
  )
})

afterAll(async () => {
  await gateway?.stop()
  process.off('unhandledRejection', onRejection)
  process.off('uncaughtException', onException)
})

const identity = (id: string) => ({ id, secret: gateway.secrets.get(id)! })

describe('integration > gateway > MQTT front fuzz (real sockets, real aedes, real Kafka)', () => {
  it(`survives ${packets} hostile packets with good devices unaffected (seed ${seed})`, async () => {
    const good = await startGoodDevices(gateway.mqttUrl, goodIds.map(identity), {
      intervalMs: 20,
      ackTimeoutMs: 20_000,
    })
    const rss = startRssSampler()
    const payloads = [
      ...protoFixtures('telemetry.v1').map((f) => f.payload),
      ...fuzzIds.map((id, i) => Buffer.from(encodeTelemetry(vitalsReading(id, i + 1, Date.now())))),
    ]
    const stats = await runMqttFuzz({
      host: '127.0.0.1',
      port: gateway.port,
      seed,
      packets,
      concurrency: fuzzIds.length,
      identities: fuzzIds.map(identity),
      payloads,
      // The short form keeps huge declared lengths to 64 KiB of body: it must pass whether or
      // not the gateway caps packet sizes; the long form streams more and records the RSS.
      hugeBodyBytes: 64 * 1024,
      sessionTimeoutMs: 5_000,
      quietMs: 200,
    })
    const report = await good.stop()
    const memory = rss.stop()

    expect(faults).toEqual([])
    expect(stats.packets).toBeGreaterThanOrEqual(packets)
    expect(stats.answered).toBeGreaterThan(0) // the gateway parsed and answered the valid part
    expect(report.errors).toEqual([])
    expect(report.disconnects).toBe(0)
    expect(report.unacked).toBe(0)
    expect(report.acked).toBe(report.published)
    expect(report.acked).toBeGreaterThan(goodIds.length)
    // The gateway is still up and serving: a new device connects and gets its PUBACK.
    const client = await gateway.connect(probe)
    await client.publishAsync(
      `devices/${probe}/telemetry`,
      Buffer.from(encodeTelemetry(vitalsReading(probe, 1, Date.now()))),
      {
        qos: 1,
      },
    )
    const ready = await fetch(`${gateway.httpUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(memory.maxBytes - memory.baselineBytes).toBeLessThan(200 * 1024 * 1024)
    console.log(JSON.stringify({ seed, stats, report: { ...report, errors: report.errors.length }, memory }))
  })
})
