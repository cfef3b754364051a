// Issue #14, fault matrix row 5, storage half (the alerting half: alerting/copartitioned.test.ts,
// three members, one SIGKILLed): two storage processes in one consumer group, one SIGKILLed
// mid-stream and not restarted. The survivor takes its partitions over after the session timeout
// and writes from the last committed offsets: every reading stored, none twice (InfluxDB keys a
// point by series and time, so a re-written batch lands on the same points; a count above the
// distinct readings would be a duplicate point).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createKafkaProducer } from '../../../../core/kafka/producer.js'
import { recordFigures } from '../../../helpers/fault-figures.js'
import { freePort, spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { eventually, silentLogger, testInflux, testKafka, unique } from '../../../helpers/services.js'
import { waitForReady } from '../../../helpers/wait.js'
import { primePartitions, sleep, startStream, testDatabase, type TestDatabase } from './harness.js'

let db: TestDatabase | undefined
const members: CliProcess[] = []
const dir = mkdtempSync(join(tmpdir(), 'pulsewire-storage-members-'))
afterAll(async () => {
  for (const member of members) if (member.child.exitCode === null) member.child.kill('SIGTERM')
  await Promise.all(members.map((m) => m.exited))
  rmSync(dir, { recursive: true, force: true })
  await db?.drop()
})

/** A counter on a storage process's /metrics (all label sets summed). */
async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n'))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop())
  return sum
}

describe('integration > processors > storage > two members, one SIGKILLed (fault matrix row 5)', () => {
  it(
    'the survivor takes the partitions over and stores every reading exactly once',
    { timeout: 180_000 },
    async () => {
      db = await testDatabase(testInflux, 'it_storage_members')
      const groupId = unique('it-storage-members')
      const urls: string[] = []
      for (let i = 0; i < 2; i++) {
        const url = `http://127.0.0.1:${await freePort()}`
        const config = join(dir, `storage-${i}.yaml`)
        writeFileSync(
          config,
          `groupId: ${groupId}\ninflux: { bucket: "${db.bucket}" }\nconsumer: { fromBeginning: false }\nhttp: { port: ${new URL(url).port} }\nlog: { level: warn }\n`,
        )
        members.push(spawnCli(['processors', '--only', 'storage', '--storage-config', config]))
        urls.push(url)
      }
      const producer = createKafkaProducer({
        kafka: testKafka,
        clientId: 'it-storage-members',
        logger: silentLogger,
      })
      await producer.start()
      try {
        await Promise.all(urls.map((url) => waitForReady(url, { timeoutMs: 60_000 })))
        await primePartitions({ groupId }, producer, 60_000)
        const devices = Array.from({ length: 12 }, (_, i) => `${unique('members')}-${i}`)
        const stream = startStream(producer, devices, 50)
        // Both members write (each holds partitions): the kill hits a member at work.
        const written = await eventually(async () => {
          const counts = await Promise.all(
            urls.map((url) => metric(url, 'pulsewire_storage_points_written_total')),
          )
          return counts.every((n) => n > 0) ? counts : undefined
        }, 30_000)
        await sleep(3_000) // the subject: both members write the stream for a while before the kill
        const victimWrote = await metric(urls[1]!, 'pulsewire_storage_points_written_total')
        const killedAt = Date.now()
        const backlog = new Map(devices.map((d) => [d, stream.produced.get(d)?.length ?? 0]))
        members[1]!.child.kill('SIGKILL')
        await members[1]!.exited
        // Recovered: every reading produced up to the kill is stored (the victim's unwritten and
        // uncommitted ones by the survivor, after the group's session timeout).
        await eventually(async () => {
          const counts = await db?.countsPerDevice()
          return devices.every((d) => (counts?.get(d) ?? 0) >= (backlog.get(d) ?? 0)) ? true : undefined
        }, 60_000)
        const recoveryMs = Date.now() - killedAt
        await sleep(2_000) // the subject: the survivor alone writes the stream for a while
        await stream.stop()
        await eventually(async () => {
          const counts = await db?.countsPerDevice()
          return devices.every((d) => counts?.get(d) === stream.produced.get(d)?.length) ? true : undefined
        }, 60_000).catch(() => undefined)
        const counts = await db.countsPerDevice()
        const distinct = devices.reduce((n, d) => n + new Set(stream.produced.get(d)).size, 0)
        const stored = devices.reduce((n, d) => n + (counts.get(d) ?? 0), 0)
        recordFigures('row5-processor-sigkill', {
          storageMembers: 2,
          published: stream.total(),
          lost: distinct - Math.min(distinct, stored),
          duplicatesAfterDedupe: Math.max(0, stored - distinct),
          recoveryMs,
          victimPointsWrittenBeforeKill: victimWrote,
          survivorPointsWritten: await metric(urls[0]!, 'pulsewire_storage_points_written_total'),
        })
        expect(written.every((n) => n > 0)).toBe(true)
        expect(members[0]!.child.exitCode).toBe(null) // the survivor kept running
        for (const device of devices)
          expect(counts.get(device), device).toBe(new Set(stream.produced.get(device)).size)
      } finally {
        await producer.stop()
      }
    },
  )
})
