import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../../core/alerts/alert-event.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { monitoringSubject } from '../../../../processors/alerting/monitoring-watch.js'
import { runCli } from '../../../helpers/cli.js'
import { tapChannels, type Tap } from '../../../helpers/kafka-tap.js'
import { spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { startPublishers, type Publishers } from '../../../helpers/publishers.js'
import { eventually, testKafka, unique } from '../../../helpers/services.js'
import { alertingGroup, stopAll, waitSettled, type Member } from './members.js'

// Issue #9, finding 2 and 4: silence judged on the gateway's receive-time clock per partition,
// one "monitoring unavailable" alarm when ingress stops, and a graceful gateway restart is no
// outage. Real gateway process (heartbeats), real alerting process, real MQTT devices at 1 Hz.
const RULES = {
  version: 1,
  rules: [
    { id: 'comm-loss', type: 'missing-data', appliesTo: ['bedside-monitor'] }, // 3 × 1 s
    { id: 'clock-fault', type: 'technical', appliesTo: ['bedside-monitor'], condition: 'clock' },
  ],
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Ward {
  /** The gateway's MQTT URL (the same port across its restarts). */
  url: string
  devices: Map<string, string>
  alerting: Member
  subject: string
  tap: Tap
  startGateway(): Promise<CliProcess>
}

let cleanup: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined)
  cleanup = []
})

async function ward(count: number): Promise<Ward> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsewire-time-'))
  const prefix = `${unique('time')}-`
  const credentials = join(dir, 'credentials.json')
  const provision = runCli([
    ...['devices', 'provision', '--count', String(count), '--prefix', prefix, '--type', 'bedside-monitor'],
    ...['--site', 'ward7', '--registry', join(dir, 'devices.yaml'), '--out', credentials],
  ])
  expect(provision.status, provision.stderr).toBe(0)
  const port = 19_000 + Math.floor(Math.random() * 1_000)
  const httpPort = port + 1_000
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `mqtt: { port: ${port}, websocketPort: false }\nhttp: { port: ${httpPort} }\nregistry: { file: ${join(dir, 'devices.yaml')} }\nlog: { level: warn }\n`,
  )
  const group = alertingGroup(RULES)
  const alerting = group.start('m0')
  cleanup.push(() => stopAll([alerting]))
  await waitSettled([alerting], 12, 90_000)
  const tap = await tapChannels(testKafka, [CHANNELS.alertEvents])
  cleanup.push(() => tap.stop())
  const devices = new Map(
    Object.entries(JSON.parse(readFileSync(credentials, 'utf8')) as Record<string, string>),
  )
  return {
    url: `mqtt://127.0.0.1:${port}`,
    devices,
    alerting,
    subject: monitoringSubject(group.groupId, 0),
    tap,
    async startGateway() {
      const gateway = spawnCli(['gateway', '-c', join(dir, 'gateway.yaml')])
      cleanup.push(async () => {
        gateway.child.kill('SIGKILL')
        await gateway.exited
      })
      // Ready: listening, and Kafka reachable (its heartbeats flow from then on).
      await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined)
        return res?.ok ? true : undefined
      }, 60_000)
      return gateway
    },
  }
}

function events(tap: Tap, keys: Iterable<string>): AlertEvent[] {
  return tap.forKeys(keys).flatMap((r) => {
    const decoded = decodeAlertEvent(r.value)
    return decoded.ok ? [decoded.value] : []
  })
}
const label = (e: AlertEvent): string => `${e.deviceId} ${e.ruleId} ${e.transition}`

function startDevices(w: Ward, url: string, offset?: (id: string) => number): Publishers {
  const devices = startPublishers(url, w.devices, 1_000, { clockOffsetMs: offset })
  cleanup.push(() => devices.stop(5_000))
  return devices
}

describe('integration > processors > alerting > per-device time', () => {
  it('a device 90 s fast beside devices on true time: no communication loss anywhere; 10 min off is a clock fault', async () => {
    const w = await ward(8)
    const ids = [...w.devices.keys()]
    const [fast, faulty] = ids
    await w.startGateway()
    const offsets = new Map([
      [fast, 90_000],
      [faulty, -600_000],
    ])
    const devices = startDevices(w, w.url, (id) => offsets.get(id) ?? 0)
    await eventually(() => (devices.totalAcked() >= 8 * 20 ? true : undefined), 60_000)
    await eventually(
      () => (events(w.tap, [faulty!]).some((e) => e.ruleId === 'clock-fault') ? true : undefined),
      30_000,
    )
    const seen = events(w.tap, ids).map(label)
    // Under the old stream time (highest device time), every device but `fast` was silent for 87 s at once.
    expect(seen.filter((l) => l.includes('comm-loss'))).toEqual([])
    expect(seen).toEqual([`${faulty} clock-fault raised`])
  })

  it('all ingress stopped 60 s: one monitoring-unavailable alarm, cleared on return, no per-device storm', async () => {
    const w = await ward(12)
    const ids = [...w.devices.keys()]
    const gateway = await w.startGateway()
    const devices = startDevices(w, w.url)
    await eventually(() => (devices.totalAcked() >= 12 * 10 ? true : undefined), 60_000)
    gateway.child.kill('SIGKILL') // no graceful marks: the partitions' clocks just stop
    await gateway.exited
    const killedAt = Date.now()
    const raised = await eventually(
      () => events(w.tap, [w.subject]).find((e) => e.transition === 'raised'),
      40_000,
    )
    expect(raised.eventTsMs - killedAt).toBeLessThan(20_000) // time.stallMs 10 s + a tick
    expect(raised).toMatchObject({ priority: 'high', kind: 'technical', ruleId: 'monitoring-unavailable' })
    expect(raised.message).toContain('ward7')
    await sleep(60_000 - (Date.now() - killedAt)) // the outage is the test's subject
    const ackedBefore = devices.totalAcked()
    await w.startGateway() // the same port; stopped by the cleanup
    // Back: the devices resend their 60 s backlog (QoS 1 persistent sessions).
    await eventually(() => (devices.totalAcked() >= ackedBefore + 12 * 70 ? true : undefined), 120_000)
    await eventually(
      () => (events(w.tap, [w.subject]).some((e) => e.transition === 'cleared') ? true : undefined),
      30_000,
    )
    await sleep(5_000) // the backlog's alarms, if any, would follow here: none must
    const monitoring = events(w.tap, [w.subject]).map((e) => e.transition)
    expect(monitoring).toEqual(['raised', 'cleared'])
    expect(events(w.tap, ids).map(label)).toEqual([])
  })

  it('a gateway restarted gracefully within its grace period, 100 devices connected: no communication loss', async () => {
    const w = await ward(100)
    const ids = [...w.devices.keys()]
    const gateway = await w.startGateway()
    const devices = startDevices(w, w.url)
    await eventually(() => (devices.totalAcked() >= 100 * 5 ? true : undefined), 60_000)
    gateway.child.kill('SIGTERM') // graceful: its devices are marked as moving, with its grace
    expect(await gateway.exited).toBe(0)
    const ackedBefore = devices.totalAcked()
    await w.startGateway() // the same port; stopped by the cleanup
    await eventually(() => (devices.totalAcked() >= ackedBefore + 100 * 10 ? true : undefined), 90_000)
    await sleep(5_000) // a late alarm would follow here: none must
    expect(events(w.tap, ids).map(label)).toEqual([])
    expect(events(w.tap, [w.subject]).map(label)).toEqual([])
  })
})
