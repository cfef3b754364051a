import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ConfigError, PipelineError } from '../../../core/errors.js'
import {
  EXIT,
  createFatalSlot,
  runService,
  type Component,
  type FatalHandler,
  type FatalReport,
} from '../../../core/lifecycle.js'

const logger = pino({ level: 'silent' })

function recorder(events: string[], name: string, overrides: Partial<Component> = {}): Component {
  return {
    name,
    start: () => {
      events.push(`start ${name}`)
      return Promise.resolve()
    },
    stop: () => {
      events.push(`stop ${name}`)
      return Promise.resolve()
    },
    ...overrides,
  }
}

describe('core > lifecycle > runService', () => {
  it('starts in order and stops in reverse order', async () => {
    const events: string[] = []
    const runner = runService({
      logger,
      components: [recorder(events, 'a'), recorder(events, 'b'), recorder(events, 'c')],
      shutdownTimeoutMs: 1_000,
      signals: [],
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    runner.stop('test')
    expect(await runner.done).toBe(EXIT.ok)
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
  })

  it('stops what had started when a later component fails to start', async () => {
    const events: string[] = []
    const failing = recorder(events, 'b', { start: () => Promise.reject(new Error('no broker')) })
    const runner = runService({
      logger,
      components: [recorder(events, 'a'), failing, recorder(events, 'c')],
      shutdownTimeoutMs: 1_000,
      signals: [],
    })
    expect(await runner.done).toBe(EXIT.failure)
    expect(events).toEqual(['start a', 'stop a'])
  })

  it('exits with 78 when a component reports bad configuration', async () => {
    const bad = recorder([], 'x', {
      start: () => Promise.reject(new ConfigError('test', [{ path: 'a', message: 'b' }])),
    })
    const runner = runService({ logger, components: [bad], shutdownTimeoutMs: 1_000, signals: [] })
    expect(await runner.done).toBe(EXIT.config)
  })

  it('gives up on a stop that exceeds the shutdown timeout', async () => {
    const stuck = recorder([], 'stuck', { stop: () => new Promise<void>(() => undefined) })
    const runner = runService({ logger, components: [stuck], shutdownTimeoutMs: 50, signals: [] })
    await new Promise((resolve) => setTimeout(resolve, 10))
    runner.stop('test')
    expect(await runner.done).toBe(EXIT.failure)
  })

  it('stops on SIGTERM', async () => {
    const events: string[] = []
    const runner = runService({ logger, components: [recorder(events, 'a')], shutdownTimeoutMs: 1_000 })
    await new Promise((resolve) => setTimeout(resolve, 10))
    process.emit('SIGTERM')
    expect(await runner.done).toBe(EXIT.ok)
    expect(events).toEqual(['start a', 'stop a'])
  })

  it('stops everything in reverse order and exits 1 when a component reports a fatal error', async () => {
    const events: string[] = []
    const reports: FatalReport[] = []
    const slot = createFatalSlot()
    const runner = runService({
      logger,
      components: [recorder(events, 'a'), recorder(events, 'b'), recorder(events, 'c')],
      shutdownTimeoutMs: 1_000,
      signals: [],
      setFatalHandler: slot.set,
      onFatal: (report) => reports.push(report),
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    const cause = { message: 'Broker: Producer fenced' }
    slot.report(
      'alerting',
      new PipelineError('KAFKA_TRANSACTION_FAILED', 'commitTransaction failed', { cause }),
    )
    slot.report('storage', new Error('a consequence, not the cause'))
    expect(await runner.done).toBe(EXIT.failure)
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
    expect(reports).toEqual([
      {
        source: 'alerting',
        code: 'KAFKA_TRANSACTION_FAILED',
        message: 'commitTransaction failed: Broker: Producer fenced',
      },
    ])
  })

  it('gives an error without a code of its own the stable LIFECYCLE_COMPONENT_FAILED', async () => {
    const reports: FatalReport[] = []
    const runner = runService({
      logger,
      components: [recorder([], 'a')],
      shutdownTimeoutMs: 1_000,
      signals: [],
      onFatal: (report) => reports.push(report),
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    runner.fatal('sinks', new Error('disk full'))
    expect(await runner.done).toBe(EXIT.failure)
    expect(reports).toEqual([{ source: 'sinks', code: 'LIFECYCLE_COMPONENT_FAILED', message: 'disk full' }])
  })

  it('ends the start when a fatal error comes while a later component is starting', async () => {
    const events: string[] = []
    let fatal: FatalHandler = () => undefined
    // "b" waits forever for what "a" provides; "a" dies meanwhile.
    const hanging = recorder(events, 'b', {
      start: () => {
        events.push('start b')
        setTimeout(() => fatal('a', new Error('a died')), 5)
        return new Promise<void>(() => undefined)
      },
    })
    const runner = runService({
      logger,
      components: [recorder(events, 'a'), hanging, recorder(events, 'c')],
      shutdownTimeoutMs: 1_000,
      signals: [],
      setFatalHandler: (handler) => (fatal = handler),
    })
    expect(await runner.done).toBe(EXIT.failure)
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a'])
  })

  it('exits non-zero when the stop after a fatal error exceeds the shutdown timeout', async () => {
    const stuck = recorder([], 'stuck', { stop: () => new Promise<void>(() => undefined) })
    const runner = runService({ logger, components: [stuck], shutdownTimeoutMs: 50, signals: [] })
    await new Promise((resolve) => setTimeout(resolve, 10))
    runner.fatal('stuck', new Error('gone'))
    expect(await runner.done).toBe(EXIT.failure)
  })

  it('keeps exit 0 when a part fails only because a requested stop is under way', async () => {
    let fatal: FatalHandler = () => undefined
    const runner = runService({
      logger,
      components: [recorder([], 'a', { stop: () => Promise.resolve(fatal('a', new Error('closed'))) })],
      shutdownTimeoutMs: 1_000,
      signals: [],
      setFatalHandler: (handler) => (fatal = handler),
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    runner.stop('test')
    expect(await runner.done).toBe(EXIT.ok)
  })

  it('hands a fatal error reported before the handler is set to it once it is', () => {
    const slot = createFatalSlot()
    const seen: string[] = []
    slot.report('early', new Error('x'))
    slot.set((source) => seen.push(source))
    slot.report('late', new Error('y'))
    expect(seen).toEqual(['early', 'late'])
  })
})
