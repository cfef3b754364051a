import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createKafkaProducer } from '../../../../core/kafka/producer.js'
import { freePort, spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { eventually, silentLogger, testInflux, testKafka, unique } from '../../../helpers/services.js'
import { waitForReady } from '../../../helpers/wait.js'
import { primePartitions, sleep, startStream, testDatabase, type TestDatabase } from './harness.js'

let db: TestDatabase | undefined
afterAll(() => db?.drop())

describe('integration > processors > storage killed and restarted mid-stream', () => {
  it('stores every reading exactly once across a SIGKILL of the storage process', async () => {
    db = await testDatabase(testInflux, 'it_storage_kill')
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-storage-kill-'))
    const config = join(dir, 'storage.yaml')
    const groupId = unique('it-storage-kill')
    // A known port (not 0): the test reads the process's /readyz.
    const httpUrl = `http://127.0.0.1:${await freePort()}`
    writeFileSync(
      config,
      `groupId: ${groupId}\ninflux: { bucket: "${db.bucket}" }\nconsumer: { fromBeginning: false }\nhttp: { port: ${new URL(httpUrl).port} }\nlog: { level: warn }\n`,
    )
    const start = (): CliProcess => spawnCli(['processors', '--only', 'storage', '--storage-config', config])
    let storage = start()

    const producer = createKafkaProducer({
      kafka: testKafka,
      clientId: 'it-storage-kill',
      logger: silentLogger,
    })
    await producer.start()
    // Ready before the stream starts: up (/readyz), and the new group has committed a probe on
    // every partition (its "latest" positions are resolved).
    await waitForReady(httpUrl, { timeoutMs: 60_000 })
    await primePartitions({ groupId }, producer, 60_000)
    const devices = Array.from({ length: 6 }, (_, i) => `${unique('kill')}-${i}`)
    const stream = startStream(producer, devices, 50)
    await sleep(8_000) // the subject: storage writes the stream for a while before it is killed
    const storedBeforeKill = [...(await db.countsPerDevice()).values()].reduce((a, b) => a + b, 0)
    storage.child.kill('SIGKILL')
    await storage.exited
    await sleep(3_000) // the subject: records keep arriving while no storage process runs
    storage = start()
    await sleep(9_000) // the subject: the restarted process catches up while the stream goes on
    await stream.stop()
    await producer.stop()
    try {
      await eventually(async () => {
        const counts = await db?.countsPerDevice()
        return devices.every((d) => counts?.get(d) === stream.produced.get(d)?.length) ? true : undefined
      }, 60_000).catch(() => undefined)
      const counts = await db.countsPerDevice()
      console.info('storage across SIGKILL', {
        produced: stream.total(),
        storedBeforeKill,
        stored: [...counts.values()].reduce((a, b) => a + b, 0),
      })
      expect(storedBeforeKill).toBeGreaterThan(0) // the kill hit a storage process that was writing
      for (const device of devices)
        expect(counts.get(device), device).toBe(new Set(stream.produced.get(device)).size)
    } finally {
      storage.child.kill('SIGTERM')
      await storage.exited
    }
  })
})
