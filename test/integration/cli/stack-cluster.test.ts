// Issue #14, "Local cluster" (ADR 0021): `pulsewire stack up --brokers 3` runs three KRaft nodes
// whose channels have RF 3 and min.insync.replicas 2; a SIGKILLed node shows as down, its
// partitions are re-elected and under-replicated, acks=all writes still succeed on ISR 2, and a
// restart brings the under-replicated count back to 0. Its own state directory and ports.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createKafkaAdmin } from '../../../core/kafka/admin.js'
import { createKafkaProducer } from '../../../core/kafka/producer.js'
import { CHANNEL_SPECS } from '../../../core/telemetry/topics.js'
import type { ServiceStatus } from '../../../deploy/local/stack.js'
import { repoRoot, runCli } from '../../helpers/cli.js'
import { silentLogger, unique } from '../../helpers/services.js'
import { waitFor } from '../../helpers/wait.js'

const stateDir = join(repoRoot, '.pulsewire', 'it-cluster')
const PORT = 19_592
const env = {
  PULSEWIRE__STATE_DIR: stateDir,
  PULSEWIRE__KAFKA_BROKER__PORT: String(PORT),
  PULSEWIRE__KAFKA_BROKER__CONTROLLER_PORT: String(PORT + 1),
  PULSEWIRE__KAFKA_CLUSTER__HEAP_MB: '320',
  PULSEWIRE__INFLUXDB_SERVER__PORT: '18196',
  PULSEWIRE__INFLUXDB_SERVER__RPC_PORT: '18198',
}
const brokers = [0, 1, 2].map((i) => `127.0.0.1:${PORT + 2 * i}`).join(',')
const kafka = { brokers, clientId: 'it-cluster', librdkafka: {} }
const pidOf = (name: string): number => Number(readFileSync(join(stateDir, 'pids', `${name}.pid`), 'utf8'))
const alive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

function status(): { code: number | null; nodes: ServiceStatus[] } {
  const result = runCli(['stack', 'status', '--json'], env)
  const services = JSON.parse(result.stdout) as ServiceStatus[]
  return { code: result.status, nodes: services.filter((s) => s.kafka) }
}
const urp = (nodes: readonly ServiceStatus[]): number =>
  nodes.reduce((sum, s) => sum + (s.kafka?.underReplicated ?? 0), 0)

afterAll(() => {
  // Stops every node by PID even when the test failed half-way.
  runCli(['stack', 'down'], env)
  rmSync(stateDir, { recursive: true, force: true })
})

describe('integration > cli > pulsewire stack --brokers 3', () => {
  // About 100 s on the shared 2-core machine: three JVM starts, a fencing (9 s session timeout),
  // a restart and three controlled shutdowns; the bound leaves room for a loaded machine.
  it(
    'runs three nodes with RF 3 / min ISR 2, survives a SIGKILLed node and heals on restart',
    { timeout: 180_000 },
    async () => {
      const up = runCli(['stack', 'up', '--fresh', '--brokers', '3'], env)
      expect(up.stderr).toBe('')
      expect(up.status).toBe(0)
      expect(up.stdout).toContain(`kafka     ready on ${brokers} (KRaft, 3 nodes`)
      expect(up.stdout).toContain(`channels  ${CHANNEL_SPECS.length} ready (${CHANNEL_SPECS.length} created)`)
      // Every Pulsewire process is told the whole bootstrap list and the cluster's RF.
      const clientEnv = readFileSync(join(stateDir, 'kafka-clients.env'), 'utf8')
      expect(clientEnv).toContain(`PULSEWIRE__KAFKA__BROKERS=${brokers}\n`)
      expect(clientEnv).toContain('PULSEWIRE__KAFKA__TOPICS__REPLICATION_FACTOR=3\n')

      const before = status()
      expect(before.code).toBe(0)
      expect(before.nodes.map((s) => [s.kafka?.nodeId, s.ready, s.address])).toEqual([
        [1, true, `127.0.0.1:${PORT}`],
        [2, true, `127.0.0.1:${PORT + 2}`],
        [3, true, `127.0.0.1:${PORT + 4}`],
      ])
      expect(before.nodes.filter((s) => s.kafka?.controller)).toHaveLength(1)
      expect(urp(before.nodes)).toBe(0)
      const pids = ['kafka-1', 'kafka-2', 'kafka-3'].map(pidOf)

      const admin = createKafkaAdmin(kafka, 'it-cluster-admin')
      const producer = createKafkaProducer({ kafka, clientId: 'it-cluster', logger: silentLogger })
      const probe = unique('it.cluster')
      try {
        const channels = await admin.listTopics()
        for (const spec of CHANNEL_SPECS) {
          expect(channels.find((t) => t.name === spec.name)?.replicationFactor, spec.name).toBe(3)
          const configs = await admin.describeTopicConfigs(spec.name, ['min.insync.replicas'])
          expect(configs.get('min.insync.replicas')?.value, spec.name).toBe('2')
        }
        // A topic of the test's own with few partitions; the broker default gives it min ISR 2 too.
        await admin.ensureTopics([{ name: probe, partitions: 3, replicationFactor: 3, config: {} }])
        await producer.start()
        const first = await producer.produce({ topic: probe, key: 'a', value: Buffer.from('before') })
        expect(first.offset).toBeGreaterThanOrEqual(0)

        // SIGKILL the node that leads the most partitions.
        const victim = [...before.nodes].sort((a, b) => (b.kafka?.leaders ?? 0) - (a.kafka?.leaders ?? 0))[0]
        const victimId = victim?.kafka?.nodeId ?? 1
        process.kill(pidOf(`kafka-${victimId}`), 'SIGKILL')
        const degraded = await waitFor(
          () => {
            const now = status()
            const dead = now.nodes.find((s) => s.kafka?.nodeId === victimId)
            return dead && !dead.ready && dead.kafka?.leaders === 0 && urp(now.nodes) > 0 ? now : undefined
          },
          { timeoutMs: 60_000, what: `node ${victimId} fenced and its partitions re-elected` },
        )
        expect(degraded.code).toBe(3)
        expect(degraded.nodes.filter((s) => s.ready)).toHaveLength(2)
        // ISR 2 = min ISR: acks=all still answers.
        const during = await producer.produce({ topic: probe, key: 'b', value: Buffer.from('during') })
        expect(during.offset).toBeGreaterThanOrEqual(0)

        // `stack up` with no flag acts on the recorded shape and restarts only the dead node.
        const again = runCli(['stack', 'up'], env)
        expect(again.status).toBe(0)
        expect(pidOf(`kafka-${victimId}`)).not.toBe(pids[victimId - 1])
        for (const id of [1, 2, 3].filter((n) => n !== victimId))
          expect(pidOf(`kafka-${id}`)).toBe(pids[id - 1])
        await waitFor(
          () => {
            const now = status()
            return now.code === 0 && urp(now.nodes) === 0 ? true : undefined
          },
          { timeoutMs: 60_000, what: 'under-replicated partitions back to 0' },
        )
      } finally {
        await producer.stop()
        admin.close()
      }

      const running = ['kafka-1', 'kafka-2', 'kafka-3'].map(pidOf)
      const down = runCli(['stack', 'down'], env)
      expect(down.status).toBe(0)
      for (const pid of running) expect(alive(pid)).toBe(false)
      expect(status().nodes.map((s) => s.pid)).toEqual([undefined, undefined, undefined])
    },
  )
})
