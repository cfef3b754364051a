import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAlertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { createKafkaProducer, type KafkaProducer } from '../../../core/kafka/producer.js'
import { ALERT_COMMAND_TOPIC } from '../../../core/telemetry/mqtt-topics.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { parseRuleSet } from '../../../processors/alerting/rules/rule-set.js'
import { startTestAlerting, type TestAlerting } from '../../helpers/alerting.js'
import { runCli } from '../../helpers/cli.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, silentLogger, testKafka, unique } from '../../helpers/services.js'
import { envelope, sample, telemetryRecord } from '../../helpers/telemetry-fixtures.js'
import { waitFor } from '../../helpers/wait.js'

// Issue #9, finding 3: latched alarms could not be acknowledged or reset. Real Kafka, the real
// alerting service (transactions), the built CLI, and the real gateway with MQTT clients.
const RULES = parseRuleSet(
  {
    version: 1,
    rules: [
      {
        id: 'spo2-low',
        type: 'threshold',
        appliesTo: ['bedside-monitor'],
        metric: 'spo2',
        direction: 'below',
        levels: [
          { limit: 90, priority: 'medium', delayMs: 0 },
          { limit: 85, priority: 'high', delayMs: 0, latching: true },
        ],
        clearLimit: 92,
      },
    ],
  },
  'alarm commands test',
)
const ESCALATE_MS = 10_000
const run = unique('ack')
const devAck = `${run}-ack`
const devEsc = `${run}-esc`
const devMqtt = `${run}-mq`
const operator = `${run}-op`
const viewer = `${run}-view`
const started: Array<{ stop(): Promise<void> }> = []
let alerting: TestAlerting
let tap: Tap
let producer: KafkaProducer
let gateway: TestGateway
let seq = 0

const events = (deviceId: string): AlertEvent[] =>
  tap.forKeys([deviceId]).flatMap((r) => {
    const decoded = decodeAlertEvent(r.value)
    return decoded.ok ? [decoded.value] : []
  })
const story = (deviceId: string): string[] => events(deviceId).map((e) => `${e.episode}:${e.transition}`)

async function spo2(deviceId: string, value: number): Promise<void> {
  seq += 1
  const reading = envelope(deviceId, seq, Date.now(), [sample('spo2', value)])
  await producer.produce(telemetryRecord(reading, { type: 'bedside-monitor' }))
}

/** Waits until the device's story has this many events, and returns the newest. */
async function nth(deviceId: string, count: number): Promise<AlertEvent> {
  return eventually(() => events(deviceId)[count - 1], 30_000)
}

async function commandCount(command: string, outcome: string): Promise<number> {
  const metric = (await alerting.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'pulsewire_alerting_commands_total',
  )
  const values = (metric?.values ?? []) as Array<{ labels: Record<string, string>; value: number }>
  return values.find((v) => v.labels.command === command && v.labels.outcome === outcome)?.value ?? 0
}

function alarmCli(args: string[]): { commandId: string; by: string } {
  const result = runCli(['alarm', ...args, '--json'], { PULSEWIRE__KAFKA__BROKERS: testKafka.brokers })
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return JSON.parse(result.stdout) as { commandId: string; by: string }
}

beforeAll(async () => {
  tap = await tapChannels(testKafka, [CHANNELS.alertEvents])
  producer = createKafkaProducer({ kafka: testKafka, clientId: 'it-alarm-commands', logger: silentLogger })
  await producer.start()
  started.push(producer)
  // Ready once every input partition (commands included) is owned and /readyz is green.
  alerting = await startTestAlerting({
    ruleSet: RULES,
    groupId: `${run}-alerting`,
    config: {
      transactionalId: `${run}-alerting`,
      alarms: { escalateAfterMs: { high: ESCALATE_MS }, escalationCheckMs: 200 },
    },
  })
  started.push(alerting)
  // A new group's "latest" position is resolved lazily: a reading produced now must be evaluated.
  await alerting.warmUp(producer)
  gateway = await startTestGateway([
    { id: operator, role: 'alert-operator' },
    { id: viewer, role: 'alert-viewer' },
  ])
}, 120_000)

afterAll(async () => {
  await gateway?.stop()
  for (const component of started.reverse()) await component.stop().catch(() => undefined)
  await tap?.stop()
})

describe('integration > processors > alarm commands (acknowledge, silence, reset, escalation)', () => {
  it('latched SpO2 alarm → acknowledged by the CLI → condition ends → reset → a new crossing raises anew', async () => {
    await spo2(devAck, 84)
    const raised = await nth(devAck, 1)
    expect(raised).toMatchObject({ transition: 'raised', priority: 'high', latching: true, episode: 1 })

    const ack = alarmCli(['ack', raised.alertId, '--by', 'nurse-17', '--reason', 'at the bedside'])
    expect(await nth(devAck, 2)).toMatchObject({
      transition: 'acknowledged',
      actor: 'nurse-17',
      reason: 'at the bedside',
      commandId: ack.commandId,
    })
    // Still below the limit: a reset is refused (counted), the alarm stays latched and open.
    alarmCli(['reset', raised.alertId])
    await eventually(async () => ((await commandCount('reset', 'condition_active')) === 1 ? true : undefined))

    await spo2(devAck, 96)
    expect(await nth(devAck, 3)).toMatchObject({ transition: 'updated', episode: 1 })
    const reset = alarmCli(['reset', raised.alertId, '--by', 'nurse-17', '--reason', 'probe repositioned'])
    expect(await nth(devAck, 4)).toMatchObject({
      transition: 'reset',
      actor: 'nurse-17',
      commandId: reset.commandId,
    })
    // A second reset of the closed alarm changes nothing.
    alarmCli(['reset', raised.alertId])
    await eventually(async () => ((await commandCount('reset', 'closed')) === 1 ? true : undefined))

    await spo2(devAck, 84)
    expect(await nth(devAck, 5)).toMatchObject({
      transition: 'raised',
      episode: 2,
      alertId: raised.alertId.replace(/\/1$/, '/2'),
    })
    expect(story(devAck)).toEqual(['1:raised', '1:acknowledged', '1:updated', '1:reset', '2:raised'])
  }, 120_000)

  it('escalates an unacknowledged HIGH alarm once, after the configured time on the alerting clock', async () => {
    await spo2(devEsc, 84)
    const raised = await nth(devEsc, 1)
    const escalated = await nth(devEsc, 2)
    expect(escalated).toMatchObject({ transition: 'escalated', escalation: 1, priority: 'high', episode: 1 })
    const waitedMs = escalated.emittedTsMs - raised.emittedTsMs
    expect(waitedMs).toBeGreaterThanOrEqual(ESCALATE_MS)
    expect(waitedMs).toBeLessThan(ESCALATE_MS + 5_000)
    // Once: more readings and more ticks add nothing.
    const evaluated = await alerting.records('evaluated')
    await spo2(devEsc, 83)
    await waitFor(async () => (await alerting.records('evaluated')) > evaluated, {
      what: 'the reading evaluated',
    })
    // The subject: ten escalation ticks (every 200 ms) pass, and none escalates again.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(story(devEsc)).toEqual(['1:raised', '1:escalated'])
    // The acknowledged alarm of the first test never escalated (its episode 2 is not acknowledged).
    expect(events(devAck).filter((e) => e.episode === 1 && e.transition === 'escalated')).toEqual([])
  }, 60_000)

  it('lets an operator acknowledge over MQTT in its own name; a viewer cannot', async () => {
    await spo2(devMqtt, 84)
    const raised = await nth(devMqtt, 1)
    const command = JSON.stringify({
      command: 'acknowledge',
      alertId: raised.alertId,
      by: 'someone-else',
      reason: 'seen',
    })

    // A viewer is read-only: its publish closes the connection, nothing reaches Kafka.
    const view: MqttClient = await gateway.connect(viewer, { clean: true })
    const closed = new Promise<void>((resolve) => view.once('close', () => resolve()))
    view.publish(ALERT_COMMAND_TOPIC, command, { qos: 1 })
    await closed

    const app = await gateway.connect(operator, { clean: true })
    await app.publishAsync(ALERT_COMMAND_TOPIC, 'not json', { qos: 1 }) // acknowledged, dropped, counted
    await app.publishAsync(ALERT_COMMAND_TOPIC, command, { qos: 1 })
    expect(await nth(devMqtt, 2)).toMatchObject({
      transition: 'acknowledged',
      actor: operator,
      reason: 'seen',
    })
    const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(text).toMatch(/pulsewire_gateway_alert_commands_total\{[^}]*outcome="invalid"[^}]*\} 1\n/)
    expect(text).toMatch(/pulsewire_gateway_alert_commands_total\{[^}]*outcome="forwarded"[^}]*\} 1\n/)

    // Past the escalation time (the subject, so a real wait): the acknowledged alarm never
    // escalates, and nothing was doubled.
    await new Promise((resolve) => setTimeout(resolve, ESCALATE_MS + 1_000))
    expect(story(devMqtt)).toEqual(['1:raised', '1:acknowledged'])
  }, 60_000)
})
