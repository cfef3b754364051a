import { connect } from 'node:net'
import type { KafkaConfig } from '../../core/config/shared.js'
import { createKafkaAdmin } from '../../core/kafka/admin.js'
import type { KafkaConsumer } from '../../core/kafka/consumer.js'

// Readiness checks for integration tests: wait on the signal itself (an HTTP /readyz, a
// consumer's assignment, an observable outcome), never on a fixed sleep that guesses how long
// it takes on a loaded machine.

export interface WaitOptions {
  /** Default 30 s. */
  timeoutMs?: number
  /** What is waited for, named in the timeout error (e.g. "alerting owns every input partition"). */
  what?: string
  /** Time between probes; default 100 ms. */
  intervalMs?: number
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls until the probe returns something other than undefined or false, and returns it. A probe
 * that throws is retried; the timeout error then carries its last message (and `describe()`'s
 * account of the state, when given, so a failure says how far things got).
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions & { describe?: () => unknown } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const state = options.describe ? ` (state: ${JSON.stringify(await options.describe())})` : ''
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : ''
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}${state}${last}`,
      )
    }
    await pause(options.intervalMs ?? 100)
  }
}

/** Polls `${baseUrl}/readyz` until it answers 200; a timeout names the last reasons it gave. */
export async function waitForReady(baseUrl: string, options: WaitOptions = {}): Promise<void> {
  let last = 'no answer'
  await waitFor(
    async () => {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })
      last = `${response.status} ${await response.text()}`
      return response.status === 200
    },
    { what: `${baseUrl}/readyz to answer 200`, ...options, describe: () => last },
  )
}

/**
 * Waits until the consumer holds every partition of the given topics (`{ topic: partitions }`),
 * as a group's only member does once its first rebalance is done. With `partitions: 'any'` per
 * topic, one partition of it is enough (a member sharing the group).
 */
export async function waitForAssignment(
  consumer: () => KafkaConsumer | undefined,
  topics: Readonly<Record<string, number | 'any'>>,
  options: WaitOptions = {},
): Promise<void> {
  const held = (): Map<string, number> => {
    const count = new Map<string, number>()
    for (const tp of consumer()?.assignments() ?? []) count.set(tp.topic, (count.get(tp.topic) ?? 0) + 1)
    return count
  }
  await waitFor(
    () => {
      const count = held()
      return Object.entries(topics).every(([topic, want]) =>
        want === 'any' ? (count.get(topic) ?? 0) > 0 : count.get(topic) === want,
      )
    },
    {
      timeoutMs: 60_000,
      what: `the consumer to be assigned ${JSON.stringify(topics)}`,
      ...options,
      describe: () => Object.fromEntries(held()),
    },
  )
}

/**
 * Waits until the probe's value has not changed for `quietMs` (deliveries in flight have settled,
 * a stream has drained): for the moments a test must let everything pending arrive before it
 * asserts that nothing more does. Returns the settled value.
 */
export async function waitForStable<T>(
  probe: () => Promise<T> | T,
  options: WaitOptions & { quietMs: number },
): Promise<T> {
  let value = JSON.stringify(await probe())
  let since = Date.now()
  return waitFor(
    async () => {
      const current = await probe()
      const now = JSON.stringify(current)
      if (now !== value) {
        value = now
        since = Date.now()
        return undefined
      }
      return Date.now() - since >= options.quietMs ? current : undefined
    },
    { timeoutMs: 60_000, what: `a value unchanged for ${options.quietMs} ms`, ...options },
  )
}

/** Each topic's partition count, as `waitForAssignment` takes it for a group's only member. */
export async function partitionCounts(
  kafka: KafkaConfig,
  topics: readonly string[],
): Promise<Record<string, number>> {
  const admin = createKafkaAdmin(kafka, 'it-partition-counts')
  try {
    const listed = await admin.listTopics()
    return Object.fromEntries(topics.map((t) => [t, listed.find((l) => l.name === t)?.partitions ?? 0]))
  } finally {
    admin.close()
  }
}

/** Waits until something accepts TCP connections on the port (a process of its own listening). */
export async function waitForListening(port: number, options: WaitOptions = {}): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        socket.once('connect', () => {
          socket.destroy()
          resolve(true)
        })
        socket.once('error', () => resolve(false))
      }),
    { what: `a listener on port ${port}`, ...options },
  )
}
