import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DeviceRegistry } from '../../../../gateway/registry/device-registry.js'
import { createRegistryWatcher } from '../../../../gateway/registry/registry-watcher.js'

function fakeRegistry(outcomes: Array<'reloaded' | 'unchanged' | Error>): DeviceRegistry & { calls: number } {
  const fake = {
    calls: 0,
    reload: () => {
      const next = outcomes[fake.calls++] ?? 'unchanged'
      if (next instanceof Error) throw next
      return next
    },
  }
  return fake as unknown as DeviceRegistry & { calls: number }
}

describe('gateway > registry > watcher', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('loads at start, then polls every 2 s, reporting reloads and errors without stopping', async () => {
    const registry = fakeRegistry(['reloaded', 'unchanged', 'reloaded', new Error('bad file'), 'unchanged'])
    const onReload = vi.fn()
    const onError = vi.fn()
    const watcher = createRegistryWatcher({ registry, onReload, onError })
    await watcher.start()
    expect(registry.calls).toBe(1)
    await vi.advanceTimersByTimeAsync(8_000)
    expect(registry.calls).toBe(5)
    expect(onReload).toHaveBeenCalledTimes(1)
    expect(onError).toHaveBeenCalledWith(new Error('bad file'))
    await watcher.stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(registry.calls).toBe(5)
    await watcher.stop()
  })

  it('fails to start on an unreadable registry', async () => {
    const watcher = createRegistryWatcher({
      registry: fakeRegistry([new Error('missing')]),
      onError: vi.fn(),
    })
    await expect(watcher.start()).rejects.toThrow('missing')
  })
})
