import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DeviceStore } from '../../../../gateway/device-store/device-store.js'
import { createDeviceStoreWatcher } from '../../../../gateway/device-store/device-store-watcher.js'

function fakeStore(outcomes: Array<'reloaded' | 'unchanged' | Error>): DeviceStore & { calls: number } {
  const fake = {
    calls: 0,
    reload: () => {
      const next = outcomes[fake.calls++] ?? 'unchanged'
      if (next instanceof Error) throw next
      return next
    },
  }
  return fake as unknown as DeviceStore & { calls: number }
}

describe('gateway > device store > watcher', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('loads at start, then polls every 500 ms (the default: revocation within 1 s), reporting reloads and errors without stopping', async () => {
    const store = fakeStore(['reloaded', 'unchanged', 'reloaded', new Error('bad file'), 'unchanged'])
    const onReload = vi.fn()
    const onError = vi.fn()
    const watcher = createDeviceStoreWatcher({ store, onReload, onError })
    await watcher.start()
    expect(store.calls).toBe(1)
    await vi.advanceTimersByTimeAsync(1_999)
    expect(store.calls).toBe(4)
    await vi.advanceTimersByTimeAsync(1)
    expect(store.calls).toBe(5)
    expect(onReload).toHaveBeenCalledTimes(1)
    expect(onError).toHaveBeenCalledWith(new Error('bad file'))
    await watcher.stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(store.calls).toBe(5)
    await watcher.stop()
  })

  it('fails to start on an unreadable device store', async () => {
    const watcher = createDeviceStoreWatcher({
      store: fakeStore([new Error('missing')]),
      onError: vi.fn(),
    })
    await expect(watcher.start()).rejects.toThrow('missing')
  })
})
