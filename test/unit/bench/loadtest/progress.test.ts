import { describe, expect, it } from 'vitest'
import { createProgressWriter, type LoadProgress } from '../../../../bench/loadtest/progress.js'
import { resultFilePath } from '../../../../bench/loadtest/results-file.js'

const progress: LoadProgress = {
  phase: 'load',
  elapsedS: 12.2,
  offeredPerSec: 2000,
  ackedPerSec: 1998.6,
  kafkaPerSec: 1990,
  awaitingAck: 14,
  p99Ms: 23.456,
  errors: 0,
  connected: 1000,
  devices: 1000,
  generatorLagMs: 0,
}

describe('unit > devices-sim > loadtest > live progress and result files', () => {
  it('updates one line on a terminal and writes plain lines otherwise', () => {
    const tty: string[] = []
    const live = createProgressWriter({ write: (t: string) => tty.push(t), isTTY: true })
    live.update(progress)
    live.update({ ...progress, elapsedS: 13 })
    live.end()
    expect(tty[0]?.startsWith('\r\u001b[2Kload t=12s  offered 2000 msg/s  acked 1999 msg/s')).toBe(true)
    expect(tty[0]).toMatch(/awaiting ack 14 {2}p99 23.5 ms {2}connected 1000\/1000 {2}errors 0$/)
    expect(tty.at(-1)).toBe('\n')

    const plain: string[] = []
    const log = createProgressWriter({ write: (t: string) => plain.push(t) })
    log.update(progress)
    log.end()
    expect(plain).toHaveLength(1)
    expect(plain[0]).toMatch(/^load t=12s .*\n$/)
  })

  it('puts one file per run under bench/results/, or where --out says', () => {
    const report = { startedAt: '2026-11-25T09:01:02.345Z', target: 'pulsewire' }
    expect(resultFilePath(undefined, report)).toMatch(/\/bench\/results\/loadtest-2026-11-25T090102\.json$/)
    expect(resultFilePath('/tmp/x/', report)).toBe('/tmp/x/loadtest-2026-11-25T090102.json')
    expect(resultFilePath('/tmp/run.json', report)).toBe('/tmp/run.json')
    expect(resultFilePath('/tmp/x/', { ...report, target: 'mosquitto-bridge' })).toBe(
      '/tmp/x/loadtest-mosquitto-bridge-2026-11-25T090102.json',
    )
  })
})
