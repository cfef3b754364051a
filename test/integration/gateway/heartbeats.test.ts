import type { MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { endOffsets } from '../../../core/kafka/admin.js'
import type { KafkaRecord } from '../../../core/kafka/records.js'
import { encodeTelemetry } from '../../../core/telemetry/envelope.js'
import { readHeartbeat } from '../../../core/telemetry/heartbeat.js'
import { HEADERS } from '../../../core/telemetry/headers.js'
import { deviceTopic } from '../../../core/telemetry/mqtt-topics.js'
import { CHANNELS, CHANNEL_SPECS } from '../../../core/telemetry/topics.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { tapChannels, type Tap } from '../../helpers/kafka-tap.js'
import { eventually, testKafka, unique } from '../../helpers/services.js'
import { vitalsReading } from '../../helpers/telemetry-fixtures.js'

// Issue #9, per-device time: alerting's clock for a partition is the gateway receive time of its
// latest record or heartbeat, so the gateway must beat on every partition, never ahead of the
// telemetry it received earlier, and say so when it stops gracefully.

const CHANNELS_WITH_HEARTBEATS = [CHANNELS.vitals, CHANNELS.environment, CHANNELS.status]
const partitionsOf = (topic: string): number => CHANNEL_SPECS.find((s) => s.name === topic)?.partitions ?? 0
const ALL_PARTITIONS = CHANNELS_WITH_HEARTBEATS.flatMap((t) =>
  Array.from({ length: partitionsOf(t) }, (_, p) => `${t}/${p}`),
)
const slot = (r: KafkaRecord): string => `${r.topic}/${r.partition}`

/** This gateway's heartbeats in the tap (the shared channels carry other gateways' too). */
const heartbeatsOf = (tap: Tap, gatewayId: string): KafkaRecord[] =>
  tap.records.filter((r) => readHeartbeat(r)?.gatewayId === gatewayId)

function byPartition(records: readonly KafkaRecord[]): Map<string, KafkaRecord[]> {
  const map = new Map<string, KafkaRecord[]>()
  for (const r of records) map.set(slot(r), [...(map.get(slot(r)) ?? []), r])
  for (const list of map.values()) list.sort((a, b) => a.offset - b.offset)
  return map
}

const rxOf = (r: KafkaRecord): number => Number(r.headers[HEADERS.gatewayRxTs]?.toString())

describe('integration > gateway > heartbeats (real Kafka, real MQTT clients)', () => {
  it('beats on every partition of the three telemetry channels at about the interval, keyless and empty', async () => {
    const tap = await tapChannels(testKafka, CHANNELS_WITH_HEARTBEATS)
    const gatewayId = unique('gw-hb')
    const gateway = await startTestGateway([], { heartbeat: { intervalMs: 500, gatewayId } })
    try {
      const perPartition = await eventually(() => {
        const map = byPartition(heartbeatsOf(tap, gatewayId))
        return ALL_PARTITIONS.every((p) => (map.get(p)?.length ?? 0) >= 6) ? map : undefined
      }, 30_000)
      expect([...perPartition.keys()].sort()).toEqual([...ALL_PARTITIONS].sort())
      for (const [, beats] of perPartition) {
        for (const r of beats) {
          expect(r.key).toBeUndefined()
          expect(r.value).toHaveLength(0)
          expect(r.headers[HEADERS.graceMs]).toBeUndefined()
          expect(r.headers[HEADERS.gatewayRxTs]?.toString()).toMatch(/^\d+$/)
        }
        const gaps = beats.slice(1).map((r, i) => rxOf(r) - rxOf(beats[i] as KafkaRecord))
        // One per interval on each partition: never two in one interval, none left out for long.
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(490)
        const sorted = [...gaps].sort((a, b) => a - b)
        expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(1_000)
      }
      const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text()
      expect(metrics).toMatch(
        /pulsewire_gateway_heartbeats_sent_total\{[^}]*outcome="delivered"[^}]*\} [1-9]/,
      )
    } finally {
      await gateway.stop()
      await tap.stop()
    }
  })

  it('never puts a heartbeat ahead of telemetry received before it, on any partition, under back-pressure', async () => {
    const tap = await tapChannels(testKafka, CHANNELS_WITH_HEARTBEATS)
    const gatewayId = unique('gw-hb-order')
    const ids = Array.from({ length: 24 }, (_, i) => `${unique('hbo')}-${i}`)
    // Two records in flight: bursts wait in the producer's queue while heartbeats keep coming.
    const gateway = await startTestGateway(
      ids.map((id) => ({ id, type: 'bedside-monitor' as const })),
      { heartbeat: { intervalMs: 100, gatewayId }, producer: { maxInFlight: 2 } },
    )
    const clients: MqttClient[] = []
    try {
      for (const id of ids) clients.push(await gateway.connect(id))
      let maxWaiting = 0
      const sampler = setInterval(() => {
        maxWaiting = Math.max(maxWaiting, gateway.service.producer.waiting().records)
      }, 5)
      const base = Date.now()
      const sends: Array<Promise<unknown>> = []
      // Waves faster than two in flight drain them: the backlog grows while readings keep
      // arriving, so heartbeats are enqueued between readings, not only behind all of them.
      for (let seq = 1; seq <= 40; seq++) {
        for (const [i, client] of clients.entries()) {
          const id = ids[i] ?? ''
          const payload = Buffer.from(encodeTelemetry(vitalsReading(id, seq, base + seq)))
          sends.push(client.publishAsync(deviceTopic(id, 'telemetry'), payload, { qos: 1 }))
        }
        await new Promise((resolve) => setTimeout(resolve, 40))
      }
      await Promise.all(sends)
      const burstMs = Date.now() - base
      clearInterval(sampler)
      const wanted = new Set(ids)
      const mine = await eventually(() => {
        const telemetry = tap.records.filter((r) => r.topic === CHANNELS.vitals && wanted.has(r.key ?? ''))
        return telemetry.length >= ids.length * 40 ? telemetry : undefined
      }, 30_000)
      await eventually(() => (heartbeatsOf(tap, gatewayId).length > 0 ? true : undefined))
      const lastRx = Math.max(...mine.map(rxOf))
      // Heartbeats enqueued after the last reading was received, on every partition.
      await eventually(() => {
        const map = byPartition(heartbeatsOf(tap, gatewayId))
        return ALL_PARTITIONS.every((p) => (map.get(p) ?? []).some((r) => rxOf(r) >= lastRx))
          ? true
          : undefined
      }, 30_000)
      expect(maxWaiting).toBeGreaterThan(10) // the burst did wait behind the throttle

      const merged = byPartition([...mine, ...heartbeatsOf(tap, gatewayId)])
      let interleaved = 0
      for (const [partition, records] of merged) {
        for (let i = 1; i < records.length; i++) {
          const previous = records[i - 1] as KafkaRecord
          const current = records[i] as KafkaRecord
          if (rxOf(current) < rxOf(previous))
            throw new Error(
              `${partition}@${current.offset}: rx ${rxOf(current)} after ${rxOf(previous)} (${previous.key ?? 'heartbeat'} → ${current.key ?? 'heartbeat'})`,
            )
          if (previous.key !== undefined && current.key === undefined && records.slice(i).some((r) => r.key))
            interleaved++
        }
      }
      const shape = [...merged.values()][0]?.map((r) => (r.key ? 'T' : 'H')).join('')
      const skipped = (await (await fetch(`${gateway.httpUrl}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('pulsewire_gateway_heartbeats'))
      console.info('heartbeat ordering', { burstMs, maxWaiting, interleaved, shape, skipped })
      // Heartbeats went out while readings still waited: they sit between them in the log.
      expect(interleaved).toBeGreaterThan(0)
    } finally {
      await gateway.stop()
      await tap.stop()
    }
  })

  it('on a graceful stop: final heartbeats with the grace everywhere, a gateway_shutdown disconnect per device, all in Kafka before stop() resolves', async () => {
    const tap = await tapChannels(testKafka, CHANNELS_WITH_HEARTBEATS)
    const gatewayId = unique('gw-hb-stop')
    const ids = Array.from({ length: 20 }, (_, i) => `${unique('hbs')}-${i}`)
    const leaver = unique('hbs-leaver')
    const gateway = await startTestGateway(
      [...ids, leaver].map((id) => ({ id, type: 'bedside-monitor' as const })),
      { heartbeat: { intervalMs: 500, gatewayId }, shutdown: { graceMs: 45_000 } },
    )
    let stopped = false
    try {
      for (const id of ids) await gateway.connect(id)
      const leaving = await gateway.connect(leaver)
      await eventually(() => (heartbeatsOf(tap, gatewayId).length > 0 ? true : undefined))
      // A device leaving on its own while the gateway runs: today's record, no reason.
      await leaving.endAsync()
      const own = await eventually(() =>
        tap.forKeys([leaver]).find((r) => r.headers[HEADERS.lifecycle]?.toString() === 'disconnected'),
      )
      expect(own.headers[HEADERS.disconnectReason]).toBeUndefined()
      expect(own.headers[HEADERS.graceMs]).toBeUndefined()

      await gateway.stop({ devicesConnected: true })
      stopped = true
      // What is in Kafka the moment stop() resolved: everything below these offsets.
      const ends = new Map(
        (await Promise.all(CHANNELS_WITH_HEARTBEATS.map((t) => endOffsets(testKafka, t))))
          .flat()
          .map((o) => [`${o.topic}/${o.partition}`, o.offset]),
      )
      const finals = await eventually(() => {
        const found = heartbeatsOf(tap, gatewayId).filter((r) => r.headers[HEADERS.graceMs] !== undefined)
        return found.length >= ALL_PARTITIONS.length ? found : undefined
      }, 20_000)
      expect(finals.map(slot).sort()).toEqual([...ALL_PARTITIONS].sort()) // one per partition
      for (const r of finals) {
        expect(readHeartbeat(r)?.graceMs).toBe(45_000)
        expect(r.offset).toBeLessThan(ends.get(slot(r)) ?? 0)
      }
      const disconnects = await eventually(() => {
        const found = tap
          .forKeys(ids)
          .filter((r) => r.headers[HEADERS.lifecycle]?.toString() === 'disconnected')
        return found.length >= ids.length ? found : undefined
      }, 20_000)
      expect(new Set(disconnects.map((r) => r.key))).toEqual(new Set(ids))
      expect(disconnects).toHaveLength(ids.length)
      const finalAt = new Map(finals.map((r) => [slot(r), r.offset]))
      for (const r of disconnects) {
        expect(r.headers[HEADERS.disconnectReason]?.toString()).toBe('gateway_shutdown')
        expect(r.headers[HEADERS.graceMs]?.toString()).toBe('45000')
        expect(r.offset).toBeLessThan(ends.get(slot(r)) ?? 0)
        // The final heartbeat of its partition comes first: devices are moving from then on.
        expect(r.offset).toBeGreaterThan(finalAt.get(slot(r)) ?? Number.POSITIVE_INFINITY)
      }
      // Nothing from this gateway after its final heartbeats.
      const afterFinal = heartbeatsOf(tap, gatewayId).filter((r) => r.offset > (finalAt.get(slot(r)) ?? 0))
      expect(afterFinal).toEqual([])
    } finally {
      if (!stopped) await gateway.stop()
      await tap.stop()
    }
  })
})
