import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../core/errors.js'
import { EXIT, runService, type Component } from '../../../core/lifecycle.js'

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
})
