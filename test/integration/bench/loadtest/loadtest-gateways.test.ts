import { describe, expect, it } from 'vitest'
import { runLoadtest } from '../../../../bench/loadtest/engine.js'
import { parseLoadtestOptions } from '../../../../bench/loadtest/options.js'
import { PulsewireTarget } from '../../../../bench/loadtest/pulsewire-target.js'

// `loadtest --gateways 2` (ADR 0022): two gateway processes, devices given both as a gateway list
// (device i starts at gateway i mod 2). The first gateway is SIGKILLed 3 s into an 8 s QoS 1 run
// and restarted: its devices move to the second and resend what was not acknowledged, so only
// half the fleet disconnects and nothing is lost.
describe('integration > loadtest > several gateways', () => {
  it('--gateways 2, the first SIGKILLed: its devices move to the other, lost 0', async () => {
    const options = parseLoadtestOptions({
      devices: 40,
      rate: 200,
      duration: 8,
      alarmEvery: 0,
      faults: ['gateway@3'],
    })
    const report = await runLoadtest(options, new PulsewireTarget({ gateways: 2 }))
    const rec = report.reconciliation
    console.info('loadtest --gateways 2, gateway@3', {
      disconnects: report.connections.disconnects,
      pubackP99Ms: report.latency.puback.p99Ms,
      pubackMaxMs: report.latency.puback.maxMs,
      lost: rec.lostMessages,
    })
    expect(report.resources.map((p) => p.name)).toEqual(expect.arrayContaining(['gateway', 'gateway-2']))
    expect(report.resources.find((p) => p.name === 'gateway')?.restarts).toBe(1)
    expect(report.resources.find((p) => p.name === 'gateway-2')?.restarts).toBe(0)
    // The 20 devices of the killed gateway lose their connection; the other 20 keep theirs.
    expect(report.connections.disconnects).toBeGreaterThanOrEqual(20)
    expect(report.connections.disconnects).toBeLessThan(40)
    expect(rec.acked).toBe(rec.published)
    expect(rec).toMatchObject({ lostMessages: 0, lostReadings: 0, ackedNotInKafka: 0 })
    expect(rec.storedReadings).toBe(rec.expectedReadings)
    expect(report.ok).toBe(true)
  })
})
