import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { STORAGE_CHANNELS } from '../../../../core/influx/layout.js'
import { createKafkaProducer, type KafkaProducer } from '../../../../core/kafka/producer.js'
import { createKafkaAdmin } from '../../../../core/kafka/admin.js'
import { recordFigures } from '../../../helpers/fault-figures.js'
import { freePort, spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { eventually, silentLogger, testInflux, testKafka, unique } from '../../../helpers/services.js'
import { waitForReady } from '../../../helpers/wait.js'
import {
  primePartitions,
  sleep,
  startStream,
  testDatabase,
  type Stream,
  type TestDatabase,
} from './harness.js'

// Fault matrix row 5, storage half (issue #14): two storage members of one group, one SIGKILLed
// mid-stream. The survivor must take every partition over and nothing may be lost or stored twice.

interface StorageMember {
  name: string
  url: string
  process: CliProcess
  /** Partitions of its latest logged rebalance, or undefined while it is revoked / not yet assigned. */
  assigned(): string[] | undefined
  alive(): boolean
}

let members: StorageMember[] = []
let stream: Stream | undefined
let producer: KafkaProducer | undefined
let db: TestDatabase | undefined

afterEach(async () => {
  await stream?.stop().catch(() => undefined) // always: a leaked stream would feed later tests
  stream = undefined
  for (const m of members) if (m.alive()) m.process.child.kill('SIGTERM')
  await Promise.all(members.map((m) => m.process.exited))
  members = []
  await producer?.stop()
  producer = undefined
  await db?.drop()
  db = undefined
})

// The group rebalances incrementally (cooperative): each logged line adds ('assigned') or removes
// ('revoked') only the partitions that moved, so what a member holds is the fold of its lines.
function assignedOf(process: CliProcess): string[] | undefined {
  const held = new Set<string>()
  let any = false
  for (const line of process.stdout().split('\n')) {
    if (!line.startsWith('{') || !line.includes('"rebalance"')) continue
    let parsed: { event?: string; partitions?: string[] }
    try {
      parsed = JSON.parse(line) as { event?: string; partitions?: string[] }
    } catch {
      continue
    }
    any = true
    for (const tp of parsed.partitions ?? []) {
      if (parsed.event === 'assigned') held.add(tp)
      else held.delete(tp)
    }
  }
  return any ? [...held] : undefined
}

let partitionTotal = 0

function settled(all: readonly StorageMember[]): Map<string, string[]> | undefined {
  const live = all.filter((m) => m.alive())
  const held = new Map<string, string[]>()
  const seen = new Set<string>()
  for (const m of live) {
    const parts = m.assigned()
    if (!parts || parts.length === 0) return undefined
    for (const tp of parts) {
      if (seen.has(tp)) return undefined
      seen.add(tp)
    }
    held.set(m.name, parts)
  }
  return seen.size === partitionTotal ? held : undefined
}

const pointsWritten = async (m: StorageMember): Promise<number> => {
  const text = await (await fetch(`${m.url}/metrics`)).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith('pulsewire_storage_points_written_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
}

describe('integration > processors > storage > two members, one SIGKILLed', () => {
  it('the survivor takes every partition, every reading is stored once, the restarted member rejoins', async () => {
    db = await testDatabase(testInflux, 'it_storage_members')
    // The storage channels do not all have the telemetry partition count: ask Kafka.
    const admin = createKafkaAdmin(testKafka)
    partitionTotal = (await admin.listTopics())
      .filter((t) => (STORAGE_CHANNELS as readonly string[]).includes(t.name))
      .reduce((sum, t) => sum + t.partitions, 0)
    admin.close()
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-storage-members-'))
    const groupId = unique('it-storage-members')
    const start = async (name: string): Promise<StorageMember> => {
      const port = await freePort()
      const config = join(dir, `${name}.yaml`)
      // Info level: the rebalance lines (assigned partitions) are what the test waits on.
      writeFileSync(
        config,
        `groupId: ${groupId}\ninflux: { bucket: "${db?.bucket}" }\nconsumer: { fromBeginning: false }\nhttp: { port: ${port} }\nlog: { level: info }\n`,
      )
      const process = spawnCli(['processors', '--only', 'storage', '--storage-config', config])
      const member: StorageMember = {
        name,
        url: `http://127.0.0.1:${port}`,
        process,
        assigned: () => assignedOf(process),
        alive: () => process.child.exitCode === null && process.child.signalCode === null,
      }
      members.push(member)
      return member
    }
    const m0 = await start('m0')
    const m1 = await start('m1')
    await Promise.all([m0, m1].map((m) => waitForReady(m.url, { timeoutMs: 60_000 })))
    const both = await eventually(() => {
      const s = settled(members)
      return s?.size === 2 ? s : undefined
    }, 90_000).catch((error: unknown) => {
      for (const m of members) console.error(m.name, m.process.stdout().slice(-3_000))
      throw error
    })
    producer = createKafkaProducer({
      kafka: testKafka,
      clientId: unique('it-storage-members'),
      logger: silentLogger,
    })
    await producer.start()
    await primePartitions({ groupId }, producer, 60_000)

    const devices = Array.from({ length: 24 }, (_, i) => `${unique('members')}-${i}`)
    stream = startStream(producer, devices, 50)
    // Both members write before the kill: each one's counter moves (not a readiness wait).
    await eventually(
      async () => ((await pointsWritten(m0)) > 0 && (await pointsWritten(m1)) > 0 ? true : undefined),
      30_000,
    )
    await sleep(3_000) // the subject: both write the stream for a while
    const killedAt = Date.now()
    m1.process.child.kill('SIGKILL')
    await m1.process.exited
    const alone = await eventually(() => {
      const s = settled(members)
      return s?.size === 1 && s.has('m0') ? s : undefined
    }, 60_000)
    const rebalanceMs = Date.now() - killedAt
    await sleep(3_000) // the subject: the survivor alone writes the stream
    const m2 = await start('m2')
    await waitForReady(m2.url, { timeoutMs: 60_000 })
    const rejoined = await eventually(() => {
      const s = settled(members)
      return s?.size === 2 && s.has('m2') ? s : undefined
    }, 90_000)
    await stream.stop()
    const produced = stream.total()
    await eventually(async () => {
      const counts = await db?.countsPerDevice()
      return devices.every((d) => counts?.get(d) === stream?.produced.get(d)?.length) ? true : undefined
    }, 60_000).catch(() => undefined)
    const counts = await db.countsPerDevice()
    const stored = [...counts.values()].reduce((a, b) => a + b, 0)
    const written = (await pointsWritten(m0)) + (await pointsWritten(m2))
    recordFigures('row5-processor-sigkill', {
      storageMembers: 2,
      produced,
      stored,
      lost: produced - stored,
      storageRebalanceMs: rebalanceMs,
      survivorAndRestartedPointsWritten: written,
    })
    expect([...both.values()].every((p) => p.length > 0)).toBe(true)
    expect(alone.get('m0')).toHaveLength(partitionTotal)
    expect(rejoined.size).toBe(2)
    // A SIGKILLed member is noticed when its session (10 s, core/kafka/consumer.ts) expires; the
    // take-over then is one rebalance round.
    expect(rebalanceMs).toBeLessThan(10_000 + 10_000)
    for (const device of devices) {
      const times = stream.produced.get(device) ?? []
      // One point per (device, reading time): a lost reading shows as fewer, one stored under
      // another series or time (a double write that InfluxDB could not merge) as more.
      expect(new Set(times).size, device).toBe(times.length)
      expect(counts.get(device), device).toBe(times.length)
    }
  })
})
