import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runLoadtest } from '../../../bench/loadtest/engine.js'
import { createInfluxQl } from '../../../bench/loadtest/influx-ql.js'
import { parseLoadtestOptions } from '../../../bench/loadtest/options.js'
import { LOAD_PROFILES } from '../../../bench/loadtest/readings.js'
import type { LoadTarget, LoadTargetEndpoints } from '../../../bench/loadtest/target.js'
import {
  telegrafBinaryVersion,
  telegrafBinary,
  TELEGRAF_VERSION,
} from '../../../bench/peer/telegraf/install.js'
import { createTelegrafPeerTarget } from '../../../bench/peer/telegraf/telegraf-target.js'
import { createKafkaAdmin } from '../../../core/kafka/admin.js'
import { findRepoRoot } from '../../../core/repo-root.js'
import { freePort } from '../../helpers/processes.js'
import { testInflux, testKafka } from '../../helpers/services.js'

// Never skipped. Where the binary is missing (a fresh clone, CI) the target's start builds it
// into the cache with `go install` (bench/peer/telegraf/install.ts, a progress line a minute):
// a few minutes with warm Go caches, ≈ 40 min cold with -p 1 on 2 cores; the timeout allows it.
/** The target logs its run directory once started ("peer: mosquitto … /tmp/pulsewire-telegraf-…"). */
const runDir = (lines: readonly string[]): string | undefined =>
  lines.map((l) => /(\S*pulsewire-telegraf-\S+)$/.exec(l)?.[1]).find((d) => d !== undefined)

function printAgentLogs(lines: readonly string[]): void {
  const dir = runDir(lines)
  console.log(lines.join('\n'))
  if (!dir || !existsSync(dir)) return
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const text = readFileSync(join(dir, file), 'utf8').split('\n')
    console.log(`--- ${file} (last 80 lines) ---\n${text.slice(-80).join('\n')}`)
  }
}

const built = telegrafBinaryVersion(telegrafBinary(findRepoRoot(import.meta.url))) === TELEGRAF_VERSION

describe('integration > peer > Mosquitto + Telegraf as a load-test target', () => {
  it(
    'a short QoS 1 load: every reading acknowledged, in Kafka and stored in our layout (0 lost)',
    async () => {
      // The run's directory (configs, agent logs) is kept so a failure can show the agents' logs.
      const lines: string[] = []
      const inner = createTelegrafPeerTarget({
        mqttPort: await freePort(),
        kafka: { brokers: testKafka.brokers },
        influxUrl: testInflux.url,
        keepFiles: true,
        log: (line) => lines.push(line),
      })
      let endpoints: LoadTargetEndpoints | undefined
      // The same target, remembering where it put this run's topic and database.
      const target: LoadTarget = {
        name: inner.name,
        start: async (ids) => (endpoints = await inner.start(ids)),
        stop: () => inner.stop(),
      }
      const options = parseLoadtestOptions({
        devices: 20,
        rate: 100,
        duration: 10,
        samples: 2,
        alarmEvery: 0,
      })
      try {
        const report = await runLoadtest(options, target)
        const rec = report.reconciliation
        expect(report.target).toBe('mosquitto+telegraf')
        expect(rec.published).toBe(report.schedule.messages)
        expect(rec.acked).toBe(rec.published)
        expect(rec.inKafka).toBe(rec.published)
        expect(rec).toMatchObject({ lostMessages: 0, lostReadings: 0, ackedNotInKafka: 0 })
        expect(rec.storedReadings).toBe(rec.expectedReadings)
        expect(report.ok).toBe(true)
        expect(report.resources.map((p) => p.name)).toEqual(
          expect.arrayContaining(['mosquitto', 'telegraf-edge', 'telegraf-store']),
        )

        // Our layout: measurement vitals, the one tag device_id, a field per metric (+ seq).
        const ql = createInfluxQl(testInflux.url, endpoints!.influx.database)
        const tagKeys = (await ql.query('SHOW TAG KEYS FROM "vitals"')).flatMap((s) =>
          s.values.map((v) => v[0]),
        )
        expect(tagKeys).toEqual(['device_id'])
        const fields = await ql.query('SHOW FIELD KEYS FROM "vitals"')
        const fieldTypes: Record<string, unknown> = Object.fromEntries(
          fields.flatMap((s) => s.values.map((v): [string, unknown] => [String(v[0]), v[1]])),
        )
        const metrics = LOAD_PROFILES[options.profile].metrics.map((m) => m.metric)
        expect(fieldTypes).toEqual({
          ...Object.fromEntries(metrics.map((m) => [m, 'float'])),
          seq: 'integer',
        })
        // Each point holds every metric of its reading: InfluxDB merged the samples' points.
        const counts = await ql.query(`SELECT count(*) FROM "vitals"`)
        const row = counts[0]?.values[0] ?? []
        const columns = counts[0]?.columns ?? []
        for (const m of metrics) expect(row[columns.indexOf(`count_${m}`)]).toBe(rec.expectedReadings)
      } catch (err) {
        printAgentLogs(lines)
        throw err
      } finally {
        await inner.stop().catch(() => undefined)
        const dir = runDir(lines)
        if (dir) rmSync(dir, { recursive: true, force: true })
        if (endpoints) {
          const admin = createKafkaAdmin(testKafka, 'it-telegraf-cleanup')
          for (const topic of endpoints.kafka.topics) await admin.deleteTopic(topic).catch(() => undefined)
          admin.close()
          await createInfluxQl(testInflux.url, endpoints.influx.database)
            .query(`DROP DATABASE "${endpoints.influx.database}"`)
            .catch(() => undefined)
        }
      }
    },
    built ? 300_000 : 3_600_000,
  )
})
