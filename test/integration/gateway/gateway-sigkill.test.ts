// Issue #14, fault matrix row "a gateway SIGKILLed, devices move to the others" at small scale
// (ADR 0022): two gateway processes on one Kafka, devices given both as a gateway list (MQTT
// 3.1.1: the gateway's aedes 1.2.0 refuses MQTT 5, ADR 0009 and mqtt5-refused.test.ts; what an
// MQTT 5 device does on Session Present 0 is argued in ADR 0022), alerting running with an explicit communication-loss timeout.
// One gateway is SIGKILLed mid-run: its devices move to the other, find no session there
// (Session Present 0, no shared sessions) and resend what was not acknowledged. 0 lost, among
// acknowledged readings and among all sent; duplicates (resends whose first copy did reach Kafka)
// counted before downstream dedupe; no communication-loss alarm for a moved device. A control
// device that knows only the killed gateway cannot move, and raises communication loss.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent } from '../../../core/alerts/alert-event.js'
import { decodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { startTestAlerting, type TestAlerting } from '../../helpers/alerting.js'
import { runCli } from '../../helpers/cli.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { freePort, spawnCli, type CliProcess } from '../../helpers/processes.js'
import { reconcile, startPublishers, type Publishers } from '../../helpers/publishers.js'
import { eventually, silentLogger, testKafka, unique } from '../../helpers/services.js'
import { waitFor, waitForListening, waitForReady } from '../../helpers/wait.js'

const DEVICES = 50
const INTERVAL_MS = 200
/** Communication-loss timeout of the test's rule: a move must take less. */
const COMM_LOSS_TIMEOUT_MS = 5_000

const dir = mkdtempSync(join(tmpdir(), 'pulsewire-gw-kill-'))
const gateways: CliProcess[] = []
const taps: Tap[] = []
let alerting: TestAlerting | undefined
afterAll(async () => {
  for (const gw of gateways)
    if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGTERM')
  await Promise.all(gateways.map((gw) => gw.exited))
  await alerting?.stop()
  await Promise.all(taps.map((t) => t.stop()))
  rmSync(dir, { recursive: true, force: true })
})

const p99 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0
}

async function startGateway(i: number, registry: string) {
  const mqttPort = await freePort()
  const httpPort = await freePort()
  const file = join(dir, `gateway-${i}.yaml`)
  writeFileSync(
    file,
    `mqtt: { port: ${mqttPort}, websocketPort: false }\nhttp: { port: ${httpPort} }\nregistry: { file: ${registry} }\nlog: { level: warn }\n`,
  )
  const proc = spawnCli(['gateway', '-c', file])
  gateways.push(proc)
  await waitForReady(`http://127.0.0.1:${httpPort}`, { timeoutMs: 60_000 })
  // /readyz can answer before the MQTT listener is bound (the listeners start last): a device
  // refused then would move down its list, and the fleet would not start half on each.
  await waitForListening(mqttPort, { timeoutMs: 30_000 })
  return { proc, mqttPort, url: `mqtt://127.0.0.1:${mqttPort}` }
}

describe('integration > gateway > a gateway SIGKILLed, devices move to the others (fault matrix, small scale)', () => {
  it(
    'loses nothing and raises no communication loss when devices move from a killed gateway',
    { timeout: 240_000 },
    async () => {
      const prefix = `${unique('gwk')}-`
      const credentials = join(dir, 'credentials.json')
      const registry = join(dir, 'devices.yaml')
      const provision = runCli([
        ...['devices', 'provision', '--count', String(DEVICES + 1), '--prefix', prefix],
        ...['--type', 'bedside-monitor', '--registry', registry, '--out', credentials],
      ])
      expect(provision.status, provision.stderr).toBe(0)
      const secrets = new Map(
        Object.entries(JSON.parse(readFileSync(credentials, 'utf8')) as Record<string, string>),
      )
      const [controlId, ...fleetIds] = [...secrets.keys()].sort()
      if (!controlId) throw new Error('no devices provisioned')
      const fleet = new Map(fleetIds.map((id) => [id, secrets.get(id) ?? '']))
      const control = new Map([[controlId, secrets.get(controlId) ?? '']])

      const ruleSet = parseRuleSet(
        {
          version: 1,
          rules: [
            {
              id: 'comm-loss',
              type: 'missing-data',
              appliesTo: ['bedside-monitor'],
              timeoutMs: COMM_LOSS_TIMEOUT_MS,
            },
          ],
        },
        'test',
      )
      alerting = await startTestAlerting({ ruleSet })
      const producer = createKafkaProducer({
        kafka: testKafka,
        clientId: unique('it-gwk'),
        logger: silentLogger,
      })
      await producer.start()
      await alerting.warmUp(producer).finally(() => producer.stop())
      const vitals = await tapChannels(testKafka, [CHANNELS.vitals])
      const alerts = await tapChannels(testKafka, [CHANNELS.alertEvents])
      taps.push(vitals, alerts)

      const a = await startGateway(0, registry)
      const b = await startGateway(1, registry)
      // Device i's list starts at gateway i mod 2: half start on each.
      const devices: Publishers = startPublishers([a.url, b.url], fleet, INTERVAL_MS, { keepalive: 10 })
      const stuck = startPublishers(a.url, control, INTERVAL_MS, { keepalive: 10 })
      let figures: Record<string, number> | undefined
      let killedAt = 0
      let stoppedAt = Number.POSITIVE_INFINITY
      try {
        await eventually(() => (devices.totalAcked() > 1_000 ? true : undefined), 30_000)
        const onA = Math.ceil(fleet.size / 2)
        killedAt = Date.now()
        a.proc.child.kill('SIGKILL')
        await a.proc.exited
        // Every device that was on the killed gateway is connected to the other one again.
        const moved = await waitFor(
          () => {
            const m = devices.moves().filter((x) => x.fromPort === a.mqttPort && x.toPort === b.mqttPort)
            return new Set(m.map((x) => x.deviceId)).size >= onA ? m : undefined
          },
          { timeoutMs: 60_000, what: `the ${onA} devices of the killed gateway to move` },
        )
        const movedAt = Date.now()
        // Readings after the move: acknowledged by the survivor, from every device.
        const ackedAtMove = devices.totalAcked()
        await eventually(() => (devices.totalAcked() > ackedAtMove + 1_000 ? true : undefined), 60_000)
        // The control device never moves: silence past the timeout on the gateway clock.
        await eventually(
          () =>
            alerts.forKeys([controlId]).some((r) => {
              const e = decodeAlertEvent(r.value)
              return e.ok && e.value.ruleId === 'comm-loss' && e.value.transition === 'raised'
            })
              ? true
              : undefined,
          60_000,
        )
        // Every moved device's deadline (its last reading before the kill + the timeout) is within
        // a publish interval of the control's: a second of traffic more on the alerting clock.
        const evaluated = await alerting.records('evaluated')
        await eventually(
          async () =>
            ((await alerting?.records('evaluated')) ?? 0) > evaluated + fleet.size * 5 ? true : undefined,
          30_000,
        )
        // From here the devices stop, which is communication loss in its own right: not counted.
        stoppedAt = Date.now()
        await devices.stop(60_000)
        const during = devices
          .ackTimes()
          .filter((t) => t.sentAt + t.latencyMs >= killedAt && t.sentAt <= movedAt)
          .map((t) => t.latencyMs)
        figures = {
          movedDevices: new Set(moved.map((m) => m.deviceId)).size,
          movedWithSessionPresent: moved.filter((m) => m.sessionPresent).length,
          moveP99Ms: p99(moved.map((m) => m.downMs)),
          moveMaxMs: Math.max(0, ...moved.map((m) => m.downMs)),
          faultAcks: during.length,
          pubackP99DuringFaultMs: p99(during),
        }
      } finally {
        await stuck.stop(0)
        b.proc.child.kill('SIGTERM')
        await b.proc.exited
      }
      const ids = new Set(fleet.keys())
      await eventually(
        () => (vitals.forKeys(ids).length >= devices.totalPublished() ? true : undefined),
        30_000,
      ).catch(() => undefined)
      const stored = vitals.forKeys(ids).flatMap((r) => {
        const decoded = decodeTelemetry(r.value)
        return decoded.ok && r.key ? [{ deviceId: r.key, seq: decoded.value.seq }] : []
      })
      const result = reconcile(devices, stored)
      const commLoss = alerts.forKeys(ids).flatMap((r) => {
        const e = decodeAlertEvent(r.value)
        return e.ok && e.value.ruleId === 'comm-loss' && e.value.eventTsMs < stoppedAt
          ? [`${e.value.deviceId} ${e.value.transition} ${e.value.message}`]
          : []
      })
      console.info('gateway SIGKILL (fault matrix, small scale)', {
        ...(figures ?? {}),
        ...result,
        commLossAlarms: commLoss.length,
      })
      expect(figures?.movedWithSessionPresent).toBe(0) // no shared sessions: each move starts afresh
      expect(figures?.moveMaxMs).toBeLessThan(COMM_LOSS_TIMEOUT_MS)
      expect(commLoss).toEqual([])
      expect(result.ackedButLost).toBe(0)
      expect(result.lost).toBe(0)
      expect(result.stored).toBe(result.published)
      expect(result.acked).toBe(result.published)
    },
  )
})
