import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runLoadtest } from '../../../../bench/loadtest/engine.js'
import { parseLoadtestOptions } from '../../../../bench/loadtest/options.js'
import { PulsewireTarget } from '../../../../bench/loadtest/pulsewire-target.js'
import { parseRanges } from '../../../../bench/loadtest/reconcile.js'
import type { LoadReport } from '../../../../bench/loadtest/report.js'
import { runCli } from '../../../helpers/cli.js'

// The gateway is SIGKILLed 3 s into an 8 s run and restarted. QoS 0 has no redelivery: what
// devices publish while it is down, and what it held in memory, is gone, and the report must
// say so. QoS 1 with persistent sessions resends every unacknowledged publish: nothing lost.
const LOAD = [
  '--devices',
  '40',
  '--rate',
  '200',
  '--duration',
  '8',
  '--alarm-every',
  '0',
  '--fault',
  'gateway@3',
]

describe('integration > loadtest > a deliberate fault that causes loss is reported', () => {
  it('QoS 0, gateway killed: lost > 0, and the missing seqs are exactly published − stored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-loadtest-it-'))
    const result = runCli(['loadtest', ...LOAD, '--qos', '0', '--json', '--out', join(dir, 'qos0.json')])
    expect(result.status, result.stderr).toBe(1) // readings lost
    expect(existsSync(join(dir, 'qos0.json'))).toBe(true)
    rmSync(dir, { recursive: true, force: true })
    const report = JSON.parse(result.stdout) as LoadReport
    const rec = report.reconciliation
    expect(report.faults).toHaveLength(1)
    expect(report.faults[0]).toMatchObject({ process: 'gateway', atS: 3 })
    expect(report.faults[0]?.readyAtS).not.toBeNull()
    expect(report.resources.find((p) => p.name === 'gateway')?.restarts).toBe(1)

    expect(rec.lossRule).toBe('published but not stored')
    expect(rec.lostMessages).toBeGreaterThan(0)
    expect(report.lost).toBe(rec.lostReadings)
    expect(report.ok).toBe(false)
    expect(rec.lostMessages).toBe(rec.published - rec.storedMessages)
    // Named per device: each device's missing seqs account for its published − stored.
    let named = 0
    for (const d of rec.devices) {
      const seqs = parseRanges(d.lostSeqs)
      expect(seqs).toHaveLength(d.published - d.storedMessages)
      expect(seqs.every((s) => s >= 1 && s <= d.published)).toBe(true)
      named += seqs.length
    }
    expect(named).toBe(rec.lostMessages)
  })

  it('QoS 1, the same fault: every acknowledged reading is stored (lost 0)', async () => {
    const options = parseLoadtestOptions({
      devices: 40,
      rate: 200,
      duration: 8,
      alarmEvery: 0,
      faults: ['gateway@3'],
    })
    const report = await runLoadtest(options, new PulsewireTarget())
    const rec = report.reconciliation
    expect(report.faults[0]?.killedAtS).toBeGreaterThanOrEqual(3)
    expect(report.connections.disconnects).toBeGreaterThanOrEqual(40)
    expect(rec.published).toBe(report.schedule.messages)
    expect(rec.acked).toBe(rec.published)
    expect(rec).toMatchObject({ lostMessages: 0, lostReadings: 0, ackedNotInKafka: 0 })
    expect(rec.storedReadings).toBe(rec.expectedReadings)
    expect(report.ok).toBe(true)
    // The outage shows where it belongs: as latency, not as loss.
    expect(report.latency.puback.maxMs).toBeGreaterThan(300)
  })
})
