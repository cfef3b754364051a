import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import type { DeviceAlertState } from '../../../processors/sinks/mqtt/active-alerts.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { eventually, unique } from '../../helpers/services.js'
import {
  alertEvent,
  createAlertTopic,
  deadPort,
  produceAlerts,
  readJsonLines,
  startSinks,
  tempDir,
  type RunningSinks,
} from './harness.js'

const run = unique('mq')
const devA = `${run}-a`
const devB = `${run}-b`
const publisher = `${run}-pub`
const viewer = `${run}-app`
const lateViewer = `${run}-app2`
const groupPrefix = `${unique('it-mqtt')}-`
let gateway: TestGateway
let topic: Awaited<ReturnType<typeof createAlertTopic>>

interface Received {
  topic: string
  retain: boolean
  state: DeviceAlertState
}

async function subscriber(
  clientId: string,
  filter: string,
): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await gateway.connect(clientId, { clean: true })
  const received: Received[] = []
  client.on('message', (t, payload, packet) =>
    received.push({
      topic: t,
      retain: packet.retain,
      state: JSON.parse(payload.toString()) as DeviceAlertState,
    }),
  )
  const granted = await client.subscribeAsync(filter, { qos: 1 })
  expect(granted[0]?.qos).toBe(1)
  return { client, received }
}

function mqttSinks(url = gateway.mqttUrl): Record<string, unknown> {
  return {
    channel: topic.name,
    groupPrefix,
    deadLetterDir: tempDir(),
    sinks: [
      {
        type: 'mqtt',
        url,
        clientId: publisher,
        secret: gateway.secrets.get(publisher),
        delivery: { attempts: 5, timeoutMs: 2_000, initialDelayMs: 100, maxDelayMs: 500 },
      },
    ],
  }
}

const t0 = Date.UTC(2026, 0, 1, 9)
const at = (s: number): number => t0 + s * 1_000
const STREAM: AlertEvent[] = [
  alertEvent({ deviceId: devA, ruleId: 'spo2-low', episode: 1, eventTsMs: at(1) }),
  alertEvent({ deviceId: devA, ruleId: 'hr-high', episode: 1, priority: 'high', eventTsMs: at(2) }),
  alertEvent({ deviceId: devB, ruleId: 'spo2-low', episode: 1, eventTsMs: at(3) }),
  alertEvent({ deviceId: devA, ruleId: 'spo2-low', episode: 1, transition: 'cleared', eventTsMs: at(4) }),
  alertEvent({
    deviceId: devB,
    ruleId: 'spo2-low',
    episode: 1,
    transition: 'escalated',
    priority: 'high',
    eventTsMs: at(5),
  }),
  alertEvent({
    deviceId: devA,
    ruleId: 'hr-high',
    episode: 1,
    priority: 'high',
    transition: 'acknowledged',
    actor: 'nurse-7',
    eventTsMs: at(6),
  }),
]

beforeAll(async () => {
  topic = await createAlertTopic(2)
  gateway = await startTestGateway([
    { id: devA, type: 'bedside-monitor' },
    { id: devB, type: 'bedside-monitor' },
    { id: publisher, role: 'alert-publisher' },
    { id: viewer, role: 'alert-viewer' },
    { id: lateViewer, role: 'alert-viewer' },
  ])
})

afterAll(async () => {
  await gateway?.stop()
  await topic?.remove()
})

describe('integration > sinks > mqtt through the gateway', () => {
  let sinks: RunningSinks | undefined

  it('publishes each transition to alerts/{deviceId} with the device’s open alerts; late subscribers get the retained state', async () => {
    const app = await subscriber(viewer, 'alerts/+')
    const device = await subscriber(devA, `alerts/${devA}`)
    sinks = await startSinks(mqttSinks())
    await produceAlerts(topic.name, STREAM)

    await eventually(() => (app.received.length >= STREAM.length ? true : undefined), 30_000)
    const latest = (r: Received[], id: string): string[] =>
      r.filter((m) => m.topic === `alerts/${id}`).map((m) => m.state.latest.transition)
    expect(latest(app.received, devA)).toEqual(['raised', 'raised', 'cleared', 'acknowledged'])
    expect(latest(app.received, devB)).toEqual(['raised', 'escalated'])
    const lastOfA = app.received.filter((m) => m.topic === `alerts/${devA}`).at(-1)?.state
    expect(lastOfA?.active.map((a) => [a.ruleId, a.acknowledged])).toEqual([['hr-high', true]])

    // A device subscribed to its own alerts sees only its own, and may not read another's.
    await eventually(() => (device.received.length >= 4 ? true : undefined), 10_000)
    expect(device.received.every((m) => m.topic === `alerts/${devA}`)).toBe(true)
    await expect(device.client.subscribeAsync(`alerts/${devB}`, { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    ) // SUBACK 0x80

    // Subscribing after the events: one retained message per device, its current alarm state.
    const late = await subscriber(lateViewer, 'alerts/+')
    await eventually(() => (late.received.length >= 2 ? true : undefined), 10_000)
    const retained = new Map(late.received.map((m) => [m.topic, m]))
    expect(late.received.every((m) => m.retain)).toBe(true)
    expect(retained.get(`alerts/${devA}`)?.state).toMatchObject({
      highestPriority: 'high',
      latest: { transition: 'acknowledged' },
    })
    expect(retained.get(`alerts/${devA}`)?.state.active.map((a) => a.ruleId)).toEqual(['hr-high'])
    expect(retained.get(`alerts/${devB}`)?.state.active.map((a) => [a.ruleId, a.priority])).toEqual([
      ['spo2-low', 'high'],
    ])
    await late.client.endAsync()

    // A viewer may not publish: the gateway closes its connection and the retained state is untouched.
    const closed = new Promise<void>((resolve) => app.client.once('close', () => resolve()))
    app.client.publish(`alerts/${devA}`, '{"forged":true}', { qos: 1, retain: true })
    await closed
    const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
    expect(metrics).toMatch(/pulsewire_gateway_acl_denials_total\{[^}]*action="publish"[^}]*\} [1-9]/)
    const check = await subscriber(lateViewer, `alerts/${devA}`)
    await eventually(() => (check.received.length >= 1 ? true : undefined), 10_000)
    expect(check.received[0]?.state.latest.transition).toBe('acknowledged')
    await check.client.endAsync()
    await app.client.endAsync(true)
  })

  it('rebuilds the open alerts from the channel after a restart before publishing anything new', async () => {
    await sinks?.stop()
    const rr = alertEvent({ deviceId: devA, ruleId: 'rr-low', episode: 1, priority: 'low', eventTsMs: at(7) })
    await produceAlerts(topic.name, [rr])
    const app = await subscriber(viewer, `alerts/${devA}`)
    sinks = await startSinks(mqttSinks()) // same groups: resumes after the six delivered transitions
    await eventually(
      () => (app.received.some((m) => m.state.latest.ruleId === 'rr-low') ? true : undefined),
      30_000,
    )
    const state = app.received.find((m) => m.state.latest.ruleId === 'rr-low')?.state
    // hr-high was opened (and acknowledged) before the restart: only the replay can know it.
    expect(state?.active.map((a) => [a.ruleId, a.acknowledged])).toEqual([
      ['hr-high', true],
      ['rr-low', false],
    ])
    const http = `http://127.0.0.1:${sinks.built.service.http.address()?.port}`
    expect(await (await fetch(`${http}/metrics`)).text()).toMatch(
      /pulsewire_sink_restored_events_total\{[^}]*\} 6/,
    )
    await app.client.endAsync()
    await sinks.stop()
  })

  it('keeps running while the gateway is unreachable: not ready, retries, then dead letters', async () => {
    const raw = mqttSinks(`mqtt://127.0.0.1:${await deadPort()}`)
    const dir = raw.deadLetterDir as string
    raw.groupPrefix = `${unique('it-mqtt-down')}-`
    raw.sinks = [
      {
        ...(raw.sinks as object[])[0],
        delivery: { attempts: 2, timeoutMs: 500, initialDelayMs: 50, maxDelayMs: 50 },
      },
    ]
    const down = await startSinks(raw)
    try {
      const http = `http://127.0.0.1:${down.built.service.http.address()?.port}`
      const ready = await fetch(`${http}/readyz`)
      expect(ready.status).toBe(503)
      expect(await ready.text()).toContain('not connected to the gateway')
      const letters = join(dir, 'mqtt.dead-letters.jsonl')
      await eventually(() => (readJsonLines(letters).length >= STREAM.length ? true : undefined), 20_000)
      expect(
        readJsonLines(letters).every((l) => l.attempts === 2 && l.error.code === 'SINK_NOT_CONNECTED'),
      ).toBe(true)
      expect((await fetch(`${http}/healthz`)).status).toBe(200)
    } finally {
      await down.stop()
    }
  })
})
