import { HttpError, Point } from '@influxdata/influxdb-client'
import { describe, expect, it } from 'vitest'
import { PipelineError } from '../../../../core/errors.js'
import { influxError, type InfluxAdapter } from '../../../../core/influx/client.js'
import {
  createInfluxWriter,
  type InfluxWriterOptions,
  type PendingPoint,
} from '../../../../processors/storage/influx-writer.js'
import { FakeClock } from '../../../helpers/fake-clock.js'
import { silentLogger } from '../../../helpers/services.js'

const unavailable = (): PipelineError =>
  new PipelineError('INFLUX_UNAVAILABLE', 'connect ECONNREFUSED', { retriable: true })
const httpError = (status: number): PipelineError =>
  new PipelineError('INFLUX_WRITE_FAILED', `HTTP ${status}`, {
    retriable: status >= 500,
    context: { status },
  })

/**
 * What the adapter throws when InfluxDB answers `status`: the client's own HttpError, built as its
 * Node transport builds it from a response (status, status message, body, retry-after,
 * content-type), wrapped by the adapter's `influxError`.
 */
const answered = (status: number, statusMessage: string, body: object): PipelineError =>
  influxError(
    'INFLUX_WRITE_FAILED',
    'write of n points failed',
    new HttpError(status, statusMessage, JSON.stringify(body), undefined, 'application/json; charset=utf-8'),
  )
/** InfluxDB 2.x refusing a field type conflict: the good lines of the request are stored anyway. */
const partialWrite422 = (): PipelineError =>
  answered(422, 'Unprocessable Entity', {
    code: 'unprocessable entity',
    message:
      'failure writing points to database: partial write: field type conflict: input field "heart_rate" on measurement "vitals" is type string, already exists as type float dropped=1',
  })
/** InfluxDB 1.x refusing the same. */
const partialWrite400 = (): PipelineError =>
  answered(400, 'Bad Request', {
    error:
      'partial write: field type conflict: input field "heart_rate" on measurement "vitals" is type string, already exists as type float dropped=1',
  })

const lineOf = (p: string | Point): string =>
  typeof p === 'string' ? p : (p.toLineProtocol({ convertTime: (t) => String(t) }) ?? '')

function entries(from: number, count: number, device = 'dev'): Array<PendingPoint<string>> {
  return Array.from({ length: count }, (_, i) => ({
    line: lineOf(
      new Point('vitals')
        .tag('device_id', device)
        .floatField('heart_rate', 60 + from + i)
        .timestamp(from + i),
    ),
    source: `${device}#${from + i}`,
  }))
}

/** A fake InfluxAdapter port: records every request; `fail` decides a request's fate. */
function fakeInflux(fail: (lines: string[], request: number) => Error | undefined = () => undefined) {
  const requests: string[][] = []
  const influx: Pick<InfluxAdapter, 'write'> = {
    write(points) {
      const lines = points.map(lineOf)
      requests.push(lines)
      const error = fail(lines, requests.length)
      return error ? Promise.reject(error) : Promise.resolve()
    },
  }
  return { influx, requests }
}

function writer(
  influx: Pick<InfluxAdapter, 'write'>,
  clock: FakeClock,
  overrides: Partial<InfluxWriterOptions<string>> = {},
) {
  const rejected: string[] = []
  const retries: string[] = []
  const instance = createInfluxWriter<string>({
    influx,
    maxPoints: 4,
    maxWaitMs: 1_000,
    retry: { minDelayMs: 100, maxDelayMs: 1_000 },
    clock,
    logger: silentLogger,
    random: () => 1,
    onRejected: (list) => {
      rejected.push(...list.map((r) => r.entry.source))
      return Promise.resolve()
    },
    observer: { retrying: (reason) => retries.push(reason) },
    ...overrides,
  })
  return { writer: instance, rejected, retries }
}

function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown }
  promise.then(
    () => (state.settled = true),
    (err: unknown) => {
      state.settled = true
      state.error = err
    },
  )
  return state
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('processors > storage > influx writer', () => {
  it('batches by size: a full buffer is written at once, in requests of at most maxPoints', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux()
    const { writer: w } = writer(influx, clock)
    const first = track(w.write(entries(0, 2)))
    await tick()
    expect(requests).toHaveLength(0)
    expect(w.buffered()).toBe(2)
    const second = track(w.write(entries(2, 5)))
    await tick()
    expect(requests.map((r) => r.length)).toEqual([4, 3])
    expect(first.settled && second.settled).toBe(true)
    expect(first.error ?? second.error).toBeUndefined()
    expect(clock.now()).toBe(new FakeClock().now()) // no time passed: nothing waited for the timer
  })

  it('batches by time: a partial buffer is written maxWaitMs after its first point', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux()
    const { writer: w } = writer(influx, clock)
    const first = track(w.write(entries(0, 1)))
    await clock.advance(600)
    const second = track(w.write(entries(1, 2)))
    await clock.advance(399)
    await tick()
    expect(requests).toHaveLength(0)
    expect(first.settled).toBe(false)
    await clock.advance(1)
    await tick()
    expect(requests.map((r) => r.length)).toEqual([3])
    expect(first.settled && second.settled).toBe(true)
    // The next point starts a new wait.
    const third = track(w.write(entries(3, 1)))
    await clock.advance(1_000)
    await tick()
    expect(requests.map((r) => r.length)).toEqual([3, 1])
    expect(third.settled).toBe(true)
  })

  it('counts the wait from when points entered the pipeline: records that queued meanwhile do not wait twice', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux()
    const { writer: w } = writer(influx, clock)
    const recent = track(w.write(entries(0, 1), clock.now() - 700))
    await clock.advance(299)
    await tick()
    expect(recent.settled).toBe(false)
    await clock.advance(1)
    await tick()
    expect(recent.settled).toBe(true)
    const stale = track(w.write(entries(1, 1), clock.now() - 5_000))
    await tick()
    expect(stale.settled).toBe(true) // a backlog is written at once
    const future = track(w.write(entries(2, 1), clock.now() + 60_000)) // a skewed clock never waits longer
    await clock.advance(1_000)
    await tick()
    expect(future.settled).toBe(true)
    expect(requests.map((r) => r.length)).toEqual([1, 1, 1])
  })

  it('flush() writes the buffer without waiting for the timer', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux()
    const { writer: w } = writer(influx, clock)
    const pending = track(w.write(entries(0, 2)))
    await w.flush()
    expect(requests.map((r) => r.length)).toEqual([2])
    expect(pending.settled).toBe(true)
  })

  it('retries retriable failures forever with capped, growing delays, and resolves only once written', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux((_, n) =>
      n <= 6 ? (n % 2 ? unavailable() : httpError(n === 2 ? 429 : 503)) : undefined,
    )
    const { writer: w, retries } = writer(influx, clock)
    const pending = track(w.write(entries(0, 3)))
    void w.flush() // settles only once written, which needs the clock to move
    await clock.runAll()
    expect(pending.settled).toBe(true)
    expect(pending.error).toBeUndefined()
    expect(requests).toHaveLength(7)
    expect(new Set(requests.map((r) => r.join('\n'))).size).toBe(1) // the same batch every time
    expect(clock.sleeps.slice(-6)).toEqual([100, 200, 400, 800, 1_000, 1_000])
    expect(retries).toEqual([
      'unavailable',
      'throttled',
      'unavailable',
      'server_error',
      'unavailable',
      'server_error',
    ])
  })

  it('keeps retrying while refused by configuration (404: database dropped) instead of dropping data', async () => {
    const clock = new FakeClock()
    let down = true
    const { influx } = fakeInflux(() => (down ? httpError(404) : undefined))
    const { writer: w, rejected, retries } = writer(influx, clock)
    const pending = track(w.write(entries(0, 5)))
    for (let i = 0; i < 9; i++) await clock.advance(1_000).then(tick)
    expect(pending.settled).toBe(false)
    expect(retries.length).toBeGreaterThanOrEqual(7)
    down = false
    await clock.runAll()
    expect(pending.settled).toBe(true)
    expect(pending.error).toBeUndefined()
    expect(rejected).toEqual([])
  })

  it('bisects a rejected batch down to the points InfluxDB can never accept, and writes the rest', async () => {
    const clock = new FakeClock()
    const stored = new Set<string>()
    // InfluxDB 1.x semantics: a 400 still stores the good lines of the request ("partial write").
    const { influx, requests } = fakeInflux((lines) => {
      for (const l of lines) if (!l.includes('device_id=bad')) stored.add(l)
      return lines.some((l) => l.includes('device_id=bad')) ? httpError(400) : undefined
    })
    const { writer: w, rejected } = writer(influx, clock, { maxPoints: 16 })
    const good = [...entries(0, 5), ...entries(10, 3), ...entries(20, 6)]
    const bad = [...entries(100, 1, 'bad'), ...entries(200, 1, 'bad')]
    const batch = [...good.slice(0, 2), bad[0], ...good.slice(2, 9), bad[1], ...good.slice(9)].filter(
      (e): e is PendingPoint<string> => e !== undefined,
    )
    const pending = track(w.write(batch))
    await w.flush()
    expect(pending.settled).toBe(true)
    expect(pending.error).toBeUndefined()
    expect(rejected.sort()).toEqual(['bad#100', 'bad#200'])
    expect(stored).toEqual(new Set(good.map((e) => e.line)))
    expect(requests.length).toBeLessThan(batch.length) // bisection, not one request per point
    expect(requests.filter((r) => r.length === 1 && r[0]?.includes('device_id=bad'))).toHaveLength(2)
  })

  // InfluxDB 2 does not run in this stack, so its answer is faked at the writer's port (the
  // adapter's write), with the error the real client and adapter produce for that HTTP response.
  it.each([
    ['InfluxDB 2.x: 422 partial write', partialWrite422],
    ['InfluxDB 1.x: 400 partial write', partialWrite400],
  ])(
    '%s: bisects down to the refused points, parks them with the reason, writes the rest, never retries',
    async (_, refusal) => {
      const clock = new FakeClock()
      const stored = new Set<string>()
      const { influx, requests } = fakeInflux((lines) => {
        for (const l of lines) if (!l.includes('device_id=bad')) stored.add(l)
        return lines.some((l) => l.includes('device_id=bad')) ? refusal() : undefined
      })
      const parked: Array<{ source: string; reason: string }> = []
      const { writer: w, retries } = writer(influx, clock, {
        maxPoints: 8,
        onRejected: (list) => {
          parked.push(...list.map((r) => ({ source: r.entry.source, reason: r.error.message })))
          return Promise.resolve()
        },
      })
      const good = entries(0, 7)
      const bad = entries(100, 1, 'bad')
      const batch = [...good.slice(0, 3), ...bad, ...good.slice(3)]
      const pending = track(w.write(batch))
      await w.flush()
      expect(pending.settled).toBe(true)
      expect(pending.error).toBeUndefined()
      expect(parked.map((p) => p.source)).toEqual(['bad#100'])
      expect(parked[0]?.reason).toContain('partial write: field type conflict')
      expect(stored).toEqual(new Set(good.map((e) => e.line)))
      expect(requests.length).toBeLessThan(batch.length) // bisection, not one request per point
      expect(requests.filter((r) => r.length === 1 && r[0]?.includes('device_id=bad'))).toHaveLength(1)
      expect(retries).toEqual([]) // decided at the first answer: no backoff, no retry
      expect(clock.sleeps).toEqual([])
    },
  )

  it('a 422 is the data, never a reason to wait: 404 and 503 answers are retried, a 422 is not', async () => {
    const clock = new FakeClock()
    const answers = [
      answered(404, 'Not Found', { code: 'not found', message: 'bucket "telemetry" not found' }),
      answered(503, 'Service Unavailable', { code: 'unavailable', message: 'too many requests' }),
      partialWrite422(),
    ]
    const { influx, requests } = fakeInflux((_, n) => answers[n - 1])
    const outcomes: string[] = []
    const {
      writer: w,
      rejected,
      retries,
    } = writer(influx, clock, {
      maxPoints: 1,
      observer: {
        request: (outcome) => outcomes.push(outcome),
        retrying: (reason) => retries.push(reason),
      },
    })
    const pending = track(w.write(entries(0, 1)))
    await clock.runAll()
    expect(pending.settled).toBe(true)
    expect(pending.error).toBeUndefined()
    expect(outcomes).toEqual(['refused', 'server_error', 'rejected'])
    expect(retries).toEqual(['refused', 'server_error'])
    expect(rejected).toEqual(['dev#0'])
    expect(requests).toHaveLength(3)
  })

  it('on close, writes the buffer once and stops retrying: a failing batch rejects, so it is not committed', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux(() => unavailable())
    const { writer: w } = writer(influx, clock)
    const pending = track(w.write(entries(0, 2)))
    void w.flush()
    await tick()
    expect(requests).toHaveLength(1)
    await w.close()
    await tick()
    expect(pending.error).toMatchObject({ code: 'RETRY_ABORTED' })
    await expect(w.write(entries(5, 1))).rejects.toMatchObject({ code: 'RETRY_ABORTED' })
  })

  it('on close, a buffered batch is still written at once when InfluxDB answers', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux()
    const { writer: w } = writer(influx, clock)
    const pending = track(w.write(entries(0, 2)))
    await w.close()
    expect(requests.map((r) => r.length)).toEqual([2])
    expect(pending.settled && pending.error === undefined).toBe(true)
  })

  it('never retries a programmer error', async () => {
    const clock = new FakeClock()
    const { influx, requests } = fakeInflux(() => new TypeError('bug'))
    const { writer: w } = writer(influx, clock)
    const pending = w.write(entries(0, 1))
    void w.flush()
    await expect(pending).rejects.toBeInstanceOf(TypeError)
    expect(requests).toHaveLength(1)
  })
})
