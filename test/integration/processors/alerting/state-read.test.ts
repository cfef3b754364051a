import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { baseRdConfig, Kafka } from '../../../../core/kafka/rdkafka.js'
import {
  createTransactionalProducer,
  type TransactionalProducer,
} from '../../../../core/kafka/transactional-producer.js'
import { CHANNELS } from '../../../../core/telemetry/topics.js'
import { encodeStoredState, loadStates } from '../../../../processors/alerting/state-store.js'
import { silentLogger, testKafka, unique } from '../../../helpers/services.js'
import { waitFor } from '../../../helpers/wait.js'

// Fault matrix row 5 (issue #14): a SIGKILLed alerting member leaves its last transaction open on
// alerts.state.v1 until the broker aborts it (transaction.timeout.ms plus the broker's cleanup
// interval). The survivors' restore must still read every state committed after that
// transaction began: stopping at the last stable offset made them restore those devices as they
// were before the kill, and lose clears and reuse alert ids afterwards.

const PARTITION = 0
type RawProducer = InstanceType<typeof Kafka.Producer>
let dead: RawProducer | undefined
let survivor: TransactionalProducer | undefined

afterEach(async () => {
  if (dead) await new Promise<void>((resolve) => dead?.disconnect(() => resolve()))
  dead = undefined
  await survivor?.stop()
  survivor = undefined
})

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(JSON.stringify(err)))
const call = (fn: (cb: (err: unknown) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((err) => (err ? reject(asError(err)) : resolve())))

const state = (partition: number): Buffer =>
  encodeStoredState({
    offsets: {},
    partitions: { [CHANNELS.vitals]: partition },
    engine: Buffer.from('{}'),
  })

describe('integration > processors > alerting > state read past an open transaction', () => {
  it('waits for a killed member’s open transaction and restores what others committed after it', async () => {
    const killedKey = unique('state-read-killed')
    const survivorKey = unique('state-read-survivor')
    // The "killed" member: a transaction begun and written to the broker, never ended.
    dead = new Kafka.Producer({
      ...baseRdConfig(testKafka, unique('it-state-read-dead')),
      'transactional.id': unique('it-state-read-dead'),
      'enable.idempotence': true,
    })
    await new Promise<void>((resolve, reject) =>
      dead?.connect({ timeout: 10_000 }, (err) => (err ? reject(asError(err)) : resolve())),
    )
    await call((cb) => dead?.initTransactions(30_000, cb))
    await call((cb) => dead?.beginTransaction(cb))
    dead.produce(CHANNELS.alertState, PARTITION, state(PARTITION), killedKey)
    await call((cb) => dead?.flush(10_000, cb))
    // A survivor commits a state on the same partition after it.
    survivor = createTransactionalProducer({
      kafka: testKafka,
      clientId: unique('it-state-read-survivor'),
      transactionalId: unique('it-state-read-survivor'),
      logger: silentLogger,
    })
    await survivor.start()
    await survivor.commit(
      [{ topic: CHANNELS.alertState, partition: PARTITION, key: survivorKey, value: state(PARTITION) }],
      [],
    )

    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
    const read = loadStates(testKafka, unique('it-state-read'), logger)
    // The read holds at the open transaction instead of ending there (it reads the whole shared
    // channel first: seconds). Before the fix it ended there, without the survivor's state.
    const held = waitFor(
      () =>
        lines.some(
          (l) => l.includes('held at an open transaction') && l.includes(`"partition":${PARTITION},`),
        ),
      { timeoutMs: 90_000, what: 'the state read to hold at the open transaction' },
    )
    const first = await Promise.race([
      held.then(
        () => 'held' as const,
        () => 'no hold within 90 s' as const,
      ),
      read.then(() => 'ended' as const),
    ])
    expect(first, 'the state read ended at the open transaction instead of waiting for it').toBe('held')
    // The broker would abort it after the transaction timeout; aborting it ends it the same way.
    await call((cb) => dead?.abortTransaction(30_000, cb))
    const states = await read
    expect(states.has(survivorKey)).toBe(true)
    expect(states.has(killedKey)).toBe(false)
  }, 180_000)
})
