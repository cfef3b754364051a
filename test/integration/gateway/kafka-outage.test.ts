import type { Socket } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { afterAll, describe, expect, it } from 'vitest'
import { startRssSampler, type RssSampler } from '../../../bench/fuzz/rss-sampler.js'
import { createKafkaConsumer } from '../../../core/kafka/consumer.js'
import type { KafkaConfig } from '../../../core/config/shared.js'
import { decodeTelemetry, encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js'
import { privateKafka } from '../../helpers/private-kafka.js'
import { rawSocket } from '../../helpers/raw-mqtt.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'
import { reconcile, startPublishers } from '../../helpers/publishers.js'
import { p99 } from '../../helpers/fault-cluster.js'
import { recordFigures } from '../../helpers/fault-figures.js'
import { eventually, silentLogger, unique } from '../../helpers/services.js'
import { waitForReady, waitForStable } from '../../helpers/wait.js'

// Issue #10, finding 6 (ADR 0012): during a Kafka outage longer than 1.5 × keepalive, aedes
// read no PINGREQ, the devices were dropped (by the gateway's timer and by their own, getting no
// PINGRESP), reconnected and resent, and the stale copies were produced too once Kafka returned.

const KEEPALIVE_S = 5
const OUTAGE_MS = 3 * KEEPALIVE_S * 1000
const MB = 1024 * 1024
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Sum of a metric's samples on the gateway's /metrics (all label sets). */
async function metric(gateway: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n'))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop())
  return sum
}

/** Every (device, seq) on the vitals channel for these devices, copies included. */
async function storedReadings(kafka: KafkaConfig, devices: ReadonlySet<string>, expected: number) {
  const found: Array<{ deviceId: string; seq: number }> = []
  const groupId = unique('it-outage-reconcile')
  const consumer = createKafkaConsumer({
    kafka,
    groupId,
    clientId: groupId,
    topics: [CHANNELS.vitals],
    logger: silentLogger,
    handler: (batch) => {
      for (const record of batch) {
        if (!record.key || !devices.has(record.key)) continue
        const decoded = decodeTelemetry(record.value)
        if (decoded.ok) found.push({ deviceId: record.key, seq: decoded.value.seq })
      }
      return Promise.resolve()
    },
  })
  await consumer.start()
  await eventually(() => (found.length >= expected ? true : undefined), 60_000).catch(() => undefined)
  // Copies beyond the expected count (duplicates) arrive in the same partitions: let them in.
  await waitForStable(() => found.length, { quietMs: 2_000, what: 'copies beyond the expected count' })
  await consumer.stop()
  return found
}

/**
 * A device that writes two readings in one go (firmware flushing a small buffer) and then only
 * pings: the PINGREQs queue behind two publishes of one read that wait for Kafka.
 */
async function pingingDevice(port: number, deviceId: string, password: string) {
  const socket: Socket = await rawSocket(port)
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const received: Packet[] = []
  let closed = false
  socket.once('close', () => (closed = true))
  parser.on('packet', (packet) => received.push(packet))
  socket.on('data', (chunk) => parser.parse(chunk))
  const packet = (p: Record<string, unknown>): Buffer => mqttPacket.generate(p as unknown as Packet)
  socket.write(
    packet({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: deviceId,
      clean: false,
      keepalive: KEEPALIVE_S,
      username: deviceId,
      password: Buffer.from(password),
    }),
  )
  await eventually(() => (received.some((p) => p.cmd === 'connack') ? true : undefined), 10_000)
  const count = (cmd: string): number => received.filter((p) => p.cmd === cmd).length
  return {
    count,
    closed: () => closed,
    publishTwo() {
      const publish = (seq: number) =>
        packet({
          cmd: 'publish',
          topic: `devices/${deviceId}/telemetry`,
          qos: 1,
          messageId: seq,
          payload: Buffer.from(encodeTelemetry(vitalsReading(deviceId, seq, Date.now()))),
        })
      socket.write(Buffer.concat([publish(1), publish(2)]))
    },
    ping: () => socket.write(packet({ cmd: 'pingreq' })),
    close: () => socket.destroy(),
  }
}

const broker = privateKafka('it-outage-kafka', 19_692)
afterAll(() => broker.destroy())

describe('integration > gateway > a long Kafka outage', () => {
  it('of 3× keepalive under load ends with one copy per (device, seq), devices kept, RSS flat', async () => {
    await broker.start()
    const ids = Array.from({ length: 20 }, (_, i) => `${unique('ka')}-${i}`)
    const pinger = unique('ka-ping')
    const gateway = await startTestGateway(
      [...ids, pinger].map((id) => ({ id, type: 'bedside-monitor' as const })),
      { kafka: broker.kafka },
    )
    const pinging = await pingingDevice(gateway.port, pinger, gateway.secrets.get(pinger) ?? '')
    gateway.secrets.delete(pinger) // not one of the MQTT.js publishers
    // 20 devices × 5 readings/s: each device's bytes over the outage (~8 KiB) stay within what
    // the gateway reads ahead of aedes, so its PINGREQs are seen and answered (ADR 0012).
    const devices = startPublishers(gateway.mqttUrl, gateway.secrets, 200, { keepalive: KEEPALIVE_S })
    let rss: RssSampler | undefined
    // When the outage began and ended, and what /readyz said during it (the row's figures).
    const fault = { stoppedAt: 0, restartedAt: 0, caughtUpAt: 0, readyzDuringOutage: 0 }
    try {
      await eventually(() => (devices.totalAcked() > 200 ? true : undefined), 20_000)
      // Warmed up (connections, producer, consumers up): from here memory should stay flat.
      rss = startRssSampler()
      const acceptedBefore = await metric(gateway, 'pulsewire_gateway_connect_attempts_total')
      fault.stoppedAt = Date.now()
      await broker.stop()
      // Deliveries in flight at the moment of the stop have settled: no PUBACK for 2 s.
      await waitForStable(() => devices.totalAcked(), {
        quietMs: 2_000,
        what: 'PUBACKs in flight at the stop',
      })
      const ackedAtStop = devices.totalAcked()
      const publishedAtStop = devices.totalPublished()
      pinging.publishTwo()
      // The outage is the scenario: 3 × keepalive without Kafka, the raw device pinging twice per keepalive.
      for (let t = 0; t < OUTAGE_MS; t += (KEEPALIVE_S * 1000) / 2) {
        await sleep((KEEPALIVE_S * 1000) / 2) // the outage's pace: a ping every half keepalive
        pinging.ping()
      }
      // Not ready while no broker answers: a load balancer sends new devices elsewhere.
      fault.readyzDuringOutage = (
        await fetch(`${gateway.httpUrl}/readyz`, { signal: AbortSignal.timeout(5_000) })
      ).status
      const pingResponses = pinging.count('pingresp')
      const pingerClosed = pinging.closed()
      expect(devices.totalAcked()).toBe(ackedAtStop) // no PUBACK without Kafka (ADR 0004)
      expect(devices.totalPublished()).toBeGreaterThan(publishedAtStop + 1_000)
      const pingsAnswered = await metric(gateway, 'pulsewire_gateway_pings_answered_total')

      await broker.start()
      fault.restartedAt = Date.now()
      await eventually(() => (devices.totalAcked() >= devices.totalPublished() ? true : undefined), 90_000)
      fault.caughtUpAt = Date.now()
      await waitForReady(gateway.httpUrl, { timeoutMs: 30_000 })
      await devices.stop(60_000)
      const memory = rss.stop()
      rss = undefined
      console.info('kafka outage memory', {
        baselineMb: memory.baselineBytes / MB,
        maxMb: memory.maxBytes / MB,
      })
      // Neither side gave the connection up for keepalive: no timeout on the gateway, no
      // connection lost on the devices, no reconnect (no CONNECT after the outage began).
      // Soft: run against the unfixed gateway, every broken promise is listed, not the first.
      expect.soft(await metric(gateway, 'pulsewire_gateway_keepalive_timeouts_total')).toBe(0)
      expect.soft(devices.connectionsLost()).toBe(0)
      expect.soft(await metric(gateway, 'pulsewire_gateway_connect_attempts_total')).toBe(acceptedBefore)
      expect.soft(await metric(gateway, 'pulsewire_gateway_delivered_after_close_total')).toBe(0)
      expect.soft(pingsAnswered).toBeGreaterThan(0)
      // The raw device: every PINGREQ but the last (maybe in flight) answered, never closed, and
      // its two readings acknowledged once Kafka was back.
      expect.soft(pingerClosed).toBe(false)
      expect.soft(pingResponses).toBeGreaterThanOrEqual(OUTAGE_MS / ((KEEPALIVE_S * 1000) / 2) - 1)
      await eventually(() => (pinging.count('puback') >= 2 ? true : undefined), 30_000).catch(() => undefined)
      expect.soft(pinging.count('puback')).toBe(2)
      pinging.close()
      // ~1 500 readings wait during the outage (~150 B each, in aedes and librdkafka) and the
      // devices' clients queue as many: a few MB. The bound leaves room for heap growth and GC
      // timing in this process (devices and gateway share it); what it catches is memory growing
      // with the outage (unbounded queues, copies piling up per reconnect).
      expect.soft(memory.maxBytes - memory.baselineBytes).toBeLessThan(48 * MB)
    } finally {
      rss?.stop()
      await gateway.stop()
    }
    const stored = await storedReadings(broker.kafka, new Set(ids), devices.totalPublished())
    const result = reconcile(devices, stored)
    const during = devices
      .ackTimes()
      .filter((t) => t.sentAt + t.latencyMs >= fault.stoppedAt && t.sentAt <= fault.caughtUpAt)
      .map((t) => t.latencyMs)
    const steady = devices
      .ackTimes()
      .filter((t) => t.sentAt + t.latencyMs < fault.stoppedAt)
      .map((t) => t.latencyMs)
    recordFigures('row3-kafka-outage', {
      ...result,
      keepaliveS: KEEPALIVE_S,
      outageMs: fault.restartedAt - fault.stoppedAt,
      recoveryMs: fault.caughtUpAt - fault.restartedAt,
      readyzDuringOutage: fault.readyzDuringOutage,
      pubackP99SteadyMs: p99(steady),
      pubackP99DuringFaultMs: p99(during),
      duplicatesAfterDedupe: 0, // one copy per (device, seq) in Kafka already; storage keys points by it
    })
    expect.soft(fault.readyzDuringOutage).toBe(503)
    expect.soft(result.duplicates).toBe(0) // one copy per (device, seq) before any consumer dedupe
    expect(result.lost).toBe(0)
    expect(result.ackedButLost).toBe(0)
    expect(result.stored).toBe(result.published)
  })

  it('bounds the publishes waiting for the producer and drops the waiting copies of closed connections', async () => {
    await broker.start()
    const ids = Array.from({ length: 20 }, (_, i) => `${unique('bl')}-${i}`)
    const gateway = await startTestGateway(
      ids.map((id) => ({ id, type: 'bedside-monitor' as const })),
      // A small producer: 40 records in flight, 60 more may wait; the devices send ~100/s.
      { kafka: broker.kafka, producer: { maxInFlight: 40, maxWaiting: { records: 60, bytes: 1 * MB } } },
    )
    const devices = startPublishers(gateway.mqttUrl, gateway.secrets, 200, { keepalive: KEEPALIVE_S })
    const counts = { refused: 0, withdrawn: 0, lateCopies: 0 }
    try {
      await eventually(() => (devices.totalAcked() > 200 ? true : undefined), 20_000)
      await broker.stop()
      await eventually(
        async () =>
          (await metric(gateway, 'pulsewire_gateway_publishes_refused_total')) > 0 ? true : undefined,
        OUTAGE_MS,
      )
      // Refused publishes close their connections; the devices reconnect and their stale waiting
      // copies leave the queue unproduced.
      await eventually(
        async () =>
          (await metric(gateway, 'pulsewire_gateway_publishes_withdrawn_total')) > 0 ? true : undefined,
        OUTAGE_MS,
      )
      await broker.start()
      await eventually(() => (devices.totalAcked() >= devices.totalPublished() ? true : undefined), 90_000)
      await devices.stop(60_000)
      counts.refused = await metric(gateway, 'pulsewire_gateway_publishes_refused_total')
      counts.withdrawn = await metric(gateway, 'pulsewire_gateway_publishes_withdrawn_total')
      counts.lateCopies = await metric(gateway, 'pulsewire_gateway_delivered_after_close_total')
    } finally {
      await gateway.stop()
    }
    const stored = await storedReadings(broker.kafka, new Set(ids), devices.totalPublished())
    const result = reconcile(devices, stored)
    // A duplicate here is a copy handed to librdkafka before its connection was closed (by a
    // refusal), delivered when Kafka returned, and resent by its device (lateCopies counts those),
    // or a PUBACK aedes had written but the closing socket discarded.
    console.info('producer backlog bound, reconciliation', { ...result, ...counts })
    expect(counts.refused).toBeGreaterThan(0)
    expect(counts.withdrawn).toBeGreaterThan(0)
    expect(result.duplicates).toBeLessThanOrEqual(counts.lateCopies)
    expect(result.lost).toBe(0)
    expect(result.ackedButLost).toBe(0)
    expect(result.stored).toBe(result.published)
  })
})
