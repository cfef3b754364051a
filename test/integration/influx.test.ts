import { Point } from '@influxdata/influxdb-client'
import { afterAll, describe, expect, it } from 'vitest'
import { createInfluxAdapter } from '../../core/influx/client.js'
import { testInflux, unique } from '../helpers/services.js'

const databases: string[] = []
afterAll(async () => {
  for (const database of databases) {
    await fetch(new URL('/query', testInflux.url), {
      method: 'POST',
      body: new URLSearchParams({ q: `DROP DATABASE "${database}"` }),
    })
  }
})

describe('integration > influxdb (real server, v2 API of InfluxDB 1.8)', () => {
  it('creates its database idempotently, writes points and reads them back with Flux', async () => {
    const database = unique('it_influx').replaceAll('-', '_')
    databases.push(database)
    const influx = createInfluxAdapter({ ...testInflux, bucket: `${database}/autogen` })
    await influx.ensureBucket()
    await influx.ensureBucket()
    const t0 = Date.now() - 60_000
    const points = Array.from({ length: 30 }, (_, i) =>
      new Point('vitals')
        .tag('device', `dev-${i % 3}`)
        .floatField('hr', 60 + i)
        .intField('quality', 0)
        .timestamp(t0 + i * 1_000),
    )
    await influx.write(points)
    const rows = await influx.query<{ device: string; _value: number; _field: string }>(
      `from(bucket: "${database}/autogen")
        |> range(start: -10m)
        |> filter(fn: (r) => r._measurement == "vitals" and r._field == "hr")
        |> group(columns: ["device"])
        |> count()`,
    )
    expect(rows.map((r) => [r.device, r._value]).sort()).toEqual([
      ['dev-0', 10],
      ['dev-1', 10],
      ['dev-2', 10],
    ])
    // Same measurement, tags and time: a replay overwrites instead of adding points.
    await influx.write(points)
    const again = await influx.query<{ _value: number }>(
      `from(bucket: "${database}/autogen") |> range(start: -10m) |> filter(fn: (r) => r._field == "hr") |> group() |> count()`,
    )
    expect(again[0]?._value).toBe(30)
  })

  it('classifies failures: a missing database is permanent, an unreachable server is retriable', async () => {
    const missing = createInfluxAdapter({
      ...testInflux,
      bucket: `${unique('nope').replaceAll('-', '_')}/autogen`,
    })
    await expect(missing.write([new Point('m').floatField('v', 1)])).rejects.toMatchObject({
      code: 'INFLUX_WRITE_FAILED',
      retriable: false,
    })
    const down = createInfluxAdapter({ ...testInflux, url: 'http://127.0.0.1:1', timeoutMs: 2_000 })
    await expect(down.write([new Point('m').floatField('v', 1)])).rejects.toMatchObject({
      code: 'INFLUX_UNAVAILABLE',
      retriable: true,
    })
    expect(await down.ping()).toBe(false)
    expect(await createInfluxAdapter(testInflux).ping()).toBe(true)
  })

  it('reports a Flux syntax error as a query failure, not a crash', async () => {
    await expect(createInfluxAdapter(testInflux).query('from(bucket: ')).rejects.toMatchObject({
      code: 'INFLUX_QUERY_FAILED',
    })
  })
})
