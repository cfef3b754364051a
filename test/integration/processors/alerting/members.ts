import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { committedOffsets } from '../../../../core/kafka/admin.js'
import type { KafkaProducer } from '../../../../core/kafka/producer.js'
import { heartbeatRecord } from '../../../../core/telemetry/heartbeat.js'
import { ALERTING_INPUT_CHANNELS } from '../../../../processors/alerting/service.js'
import { spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { eventually, testKafka, unique } from '../../../helpers/services.js'
import { waitFor } from '../../../helpers/wait.js'

/** One alerting instance as its own process, and what its log says about its assignment. */
export interface Member {
  name: string
  process: CliProcess
  /** Its latest rebalance as logged: 'assigned' with its partitions, or 'revoked' (in a rebalance). */
  assignment(): { event: 'assigned' | 'revoked'; partitions: string[] } | undefined
  transactionalId(): string | undefined
  alive(): boolean
}

interface LogLine {
  msg?: string
  event?: 'assigned' | 'revoked'
  partitions?: string[]
  transactionalId?: string
}

function logLines(process: CliProcess): LogLine[] {
  return process
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine]
      } catch {
        return []
      }
    })
}

/** A config directory for one alerting group: every member of it runs the same files. */
export function alertingGroup(rules: unknown): { groupId: string; start(name: string): Member } {
  const dir = mkdtempSync(join(tmpdir(), 'pulsewire-copart-'))
  const groupId = unique('it-copart')
  writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules))
  // Info level: the rebalance lines (assigned partitions) are what the test reads.
  writeFileSync(
    join(dir, 'alerting.yaml'),
    `groupId: ${groupId}\nrulesFile: ${join(dir, 'rules.json')}\nfromBeginning: false\nmaxBatchSize: 100\nhttp: { port: 0 }\nlog: { level: info }\n`,
  )
  return {
    groupId,
    start(name) {
      const process = spawnCli([
        'processors',
        '--only',
        'alerting',
        '--alerting-config',
        join(dir, 'alerting.yaml'),
      ])
      return {
        name,
        process,
        assignment: () => {
          const last = logLines(process)
            .filter((l) => l.msg === 'rebalance')
            .at(-1)
          return last?.event ? { event: last.event, partitions: last.partitions ?? [] } : undefined
        },
        transactionalId: () => logLines(process).find((l) => l.transactionalId)?.transactionalId,
        alive: () => process.child.exitCode === null && process.child.signalCode === null,
      }
    },
  }
}

/** Partition index of every input channel → the member holding it; undefined while any moves. */
export function settledAssignment(
  members: readonly Member[],
  partitions: number,
): Map<string, string> | undefined {
  const owner = new Map<string, string>()
  for (const member of members.filter((m) => m.alive())) {
    const a = member.assignment()
    if (a?.event !== 'assigned') return undefined
    for (const tp of a.partitions) {
      if (owner.has(tp)) return undefined
      owner.set(tp, member.name)
    }
  }
  return owner.size === partitions * ALERTING_INPUT_CHANNELS.length ? owner : undefined
}

/** Waits (on the logged assignments, not a sleep) until the live members hold every input partition. */
export function waitSettled(members: readonly Member[], partitions: number, timeoutMs = 60_000) {
  return eventually(() => {
    const owner = settledAssignment(members, partitions)
    const live = members.filter((m) => m.alive()).map((m) => m.name)
    return owner && new Set(owner.values()).size === live.length ? owner : undefined
  }, timeoutMs)
}

export async function stopAll(members: readonly Member[]): Promise<void> {
  for (const m of members) if (m.alive()) m.process.child.kill('SIGTERM')
  await Promise.all(members.map((m) => m.process.exited))
}

/**
 * A new group resolves its "latest" start position per partition lazily, after the assignment
 * its members log: a record produced in between is never evaluated, by anyone (the same race
 * test/helpers/alerting.ts warms up for an instance in this process). Here, rounds of one gateway
 * heartbeat per partition, received at `rxMs` (the stream's start, so the partition clocks move
 * on as the stream does: no gap, no device touched), until the group has committed past a whole
 * round; every record produced after that is consumed. Returns the rounds it took.
 */
export async function warmUpGroup(
  producer: KafkaProducer,
  groupId: string,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
  rxMs: number,
  timeoutMs = 60_000,
): Promise<number> {
  let rounds = 0
  await waitFor(
    async () => {
      rounds++
      const sent = await Promise.all(
        partitions.map(({ topic, partition }) =>
          producer.produce(heartbeatRecord(topic, partition, `${groupId}-warm`, rxMs)),
        ),
      )
      return waitFor(
        async () => {
          const committed = await committedOffsets(testKafka, groupId, partitions)
          const at = new Map(committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]))
          return sent.every((r) => (at.get(`${r.topic}/${r.partition}`) ?? -1) > r.offset) || undefined
        },
        { timeoutMs: 3_000, intervalMs: 250 },
      ).catch(() => false)
    },
    { timeoutMs, what: `group ${groupId} to consume a heartbeat on each of ${partitions.length} partitions` },
  )
  return rounds
}
