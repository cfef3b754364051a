// Issue #14, fault matrix row 1 at small scale (ADR 0021): on a three-broker cluster (RF 3, min
// ISR 2), SIGKILL the broker leading most partitions of the vitals channel while devices publish
// QoS 1 through a real gateway, restart it after a pause: 0 lost (every acknowledged reading is in
// Kafka, by (device, boot, seq)), only a PUBACK latency spike.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { topicsSchema } from '../../../core/config/topics.js'
import { createKafkaConsumer } from '../../../core/kafka/consumer.js'
import type { KafkaConfig } from '../../../core/config/shared.js'
import { stopByPid, runningPid } from '../../../core/process/pid-file.js'
import { decodeTelemetry } from '../../../core/telemetry/envelope.js'
import { CHANNELS } from '../../../core/telemetry/topics.js'
import { stackConfigSchema, stackPaths } from '../../../deploy/local/config.js'
import { brokerList, installKafka } from '../../../deploy/local/kafka.js'
import { clusterLayout, clusterMetadata, startKafkaCluster } from '../../../deploy/local/kafka-cluster.js'
import { repoRoot } from '../../helpers/cli.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { reconcile, startPublishers } from '../../helpers/publishers.js'
import { eventually, silentLogger, unique } from '../../helpers/services.js'
import { waitFor, waitForStable } from '../../helpers/wait.js'

const PORT = 19_792
const PAUSE_MS = 5_000
const config = stackConfigSchema.parse({
  stateDir: join('.pulsewire', 'it-broker-kill'),
  // The jars of the shared stack when /work/it.sh names them; else this checkout's own cache.
  cacheDir: process.env.PULSEWIRE__CACHE_DIR ?? '.cache',
  kafkaBroker: { port: PORT, controllerPort: PORT + 1 },
  kafkaCluster: { heapMb: 320 },
})
const paths = stackPaths(config, repoRoot)
const layout = clusterLayout(config, paths)
const kafka: KafkaConfig = {
  brokers: brokerList(layout),
  clientId: 'pulsewire',
  librdkafka: {},
  topics: topicsSchema.parse({ replicationFactor: 3 }),
}
const quiet = (): void => undefined
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

afterAll(async () => {
  await Promise.all(layout.nodes.map((node) => stopByPid(node.proc, 30_000)))
  rmSync(paths.state, { recursive: true, force: true })
})

/** Leaders of the vitals channel's partitions per node, and its under-replicated partitions. */
async function vitalsLeadership(): Promise<{ leaders: Map<number, number>; urp: number }> {
  const view = await clusterMetadata(kafka.brokers, 5_000)
  const leaders = new Map<number, number>()
  let urp = 0
  for (const p of view.partitions.filter((p) => p.topic === CHANNELS.vitals)) {
    leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1)
    if (p.isrs.length < p.replicas.length) urp++
  }
  return { leaders, urp }
}

/** Every (device, boot, seq) on the vitals channel for these devices, copies included. */
async function storedReadings(devices: ReadonlySet<string>, expected: number) {
  const found: Array<{ deviceId: string; seq: number }> = []
  const seen = new Set<string>()
  const groupId = unique('it-broker-kill-reconcile')
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
        if (!decoded.ok) continue
        const { deviceId, bootId, seq } = decoded.value
        found.push({ deviceId, seq })
        seen.add(`${deviceId}/${bootId}/${seq}`)
      }
      return Promise.resolve()
    },
  })
  await consumer.start()
  await eventually(() => (seen.size >= expected ? true : undefined), 60_000).catch(() => undefined)
  await waitForStable(() => found.length, { quietMs: 2_000, what: 'copies beyond the expected count' })
  await consumer.stop()
  return found
}

const p99 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0
}

describe('integration > gateway > a Kafka broker SIGKILLed (fault matrix row 1, small scale)', () => {
  it(
    'loses no acknowledged reading when the leader of most vitals partitions dies and returns',
    { timeout: 300_000 },
    async () => {
      installKafka(paths, quiet)
      await startKafkaCluster(config, paths, quiet)
      const ids = Array.from({ length: 20 }, (_, i) => `${unique('bk')}-${i}`)
      // The gateway creates its channels with RF 3 / min ISR 2 (kafka.topics) on the cluster.
      const gateway = await startTestGateway(
        ids.map((id) => ({ id, type: 'bedside-monitor' as const })),
        { kafka },
      )
      const devices = startPublishers(gateway.mqttUrl, gateway.secrets, 200, { keepalive: 10 })
      let figures: Record<string, number> | undefined
      try {
        await eventually(() => (devices.totalAcked() > 300 ? true : undefined), 30_000)
        // From here connections, producer and leaders are warm: 300 readings sent from now on and
        // acknowledged are the steady-state baseline.
        const warmAt = Date.now()
        await eventually(
          () => (devices.ackTimes().filter((t) => t.sentAt >= warmAt).length >= 300 ? true : undefined),
          60_000,
        )
        const before = await vitalsLeadership()
        expect(before.urp).toBe(0)
        const [victimId] = [...before.leaders.entries()].sort((a, b) => b[1] - a[1])[0] ?? [1]
        const victim = layout.nodes.find((n) => n.id === victimId)
        const pid = victim && runningPid(victim.proc)
        if (!victim || pid === undefined) throw new Error(`no running node ${victimId}`)

        const killedAt = Date.now()
        process.kill(pid, 'SIGKILL')
        // Fenced (broker session timeout) and its partitions led by the others, with ISR 2.
        await waitFor(
          async () => {
            const now = await vitalsLeadership()
            return !now.leaders.has(victimId) && now.urp > 0 ? true : undefined
          },
          { timeoutMs: 60_000, what: `node ${victimId}'s vitals partitions re-elected` },
        )
        const failoverMs = Date.now() - killedAt
        const ackedDuringOutage = devices.totalAcked()
        await sleep(PAUSE_MS) // the fault itself: the broker stays dead for a while, writes go on at ISR 2
        expect(devices.totalAcked()).toBeGreaterThan(ackedDuringOutage) // PUBACKs continue on ISR 2

        await startKafkaCluster(config, paths, quiet) // starts only the dead node
        await waitFor(async () => ((await vitalsLeadership()).urp === 0 ? true : undefined), {
          timeoutMs: 90_000,
          what: 'vitals partitions in sync again',
        })
        const healedAt = Date.now()
        await devices.stop(60_000)
        // Steady: sent after the warm-up and answered before the kill. During: answered after the
        // kill (those in flight at the kill included), sent before the partitions were in sync again.
        const during = devices
          .ackTimes()
          .filter((t) => t.sentAt + t.latencyMs >= killedAt && t.sentAt <= healedAt)
          .map((t) => t.latencyMs)
        const steady = devices
          .ackTimes()
          .filter((t) => t.sentAt >= warmAt && t.sentAt + t.latencyMs < killedAt)
          .map((t) => t.latencyMs)
        figures = {
          victimLeaders: before.leaders.get(victimId) ?? 0,
          failoverMs,
          steadyAcks: steady.length,
          pubackP99SteadyMs: p99(steady),
          faultAcks: during.length,
          pubackP99DuringFaultMs: p99(during),
          pubackMaxDuringFaultMs: Math.max(0, ...during),
          connectionsLost: devices.connectionsLost(),
        }
      } finally {
        await gateway.stop()
      }
      const stored = await storedReadings(new Set(ids), devices.totalPublished())
      const result = reconcile(devices, stored)
      console.info('broker SIGKILL (fault matrix row 1, small scale)', { ...(figures ?? {}), ...result })
      expect(result.ackedButLost).toBe(0)
      expect(result.lost).toBe(0)
      expect(result.stored).toBe(result.published)
      expect(result.acked).toBe(result.published)
    },
  )
})
