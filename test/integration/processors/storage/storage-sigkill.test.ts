import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createKafkaProducer } from '../../../../core/kafka/producer.js'
import { spawnCli, type CliProcess } from '../../../helpers/processes.js'
import { eventually, silentLogger, testInflux, testKafka, unique } from '../../../helpers/services.js'
import { sleep, startStream, testDatabase, type TestDatabase } from './harness.js'

let db: TestDatabase | undefined
afterAll(() => db?.drop())

describe('integration > processors > storage killed and restarted mid-stream', () => {
  it('stores every reading exactly once across a SIGKILL of the storage process', async () => {
    db = await testDatabase(testInflux, 'it_storage_kill')
    const dir = mkdtempSync(join(tmpdir(), 'pulsewire-storage-kill-'))
    const config = join(dir, 'storage.yaml')
    writeFileSync(
      config,
      `groupId: ${unique('it-storage-kill')}\ninflux: { bucket: "${db.bucket}" }\nconsumer: { fromBeginning: false }\nhttp: { port: 0 }\nlog: { level: warn }\n`,
    )
    const start = (): CliProcess => spawnCli(['processors', '--only', 'storage', '--storage-config', config])
    let storage = start()
    await sleep(6_000) // the new group has its partitions before the stream starts

    const producer = createKafkaProducer({
      kafka: testKafka,
      clientId: 'it-storage-kill',
      logger: silentLogger,
    })
    await producer.start()
    const devices = Array.from({ length: 6 }, (_, i) => `${unique('kill')}-${i}`)
    const stream = startStream(producer, devices, 50)
    await sleep(8_000)
    const storedBeforeKill = [...(await db.countsPerDevice()).values()].reduce((a, b) => a + b, 0)
    storage.child.kill('SIGKILL')
    await storage.exited
    await sleep(3_000)
    storage = start()
    await sleep(9_000)
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
