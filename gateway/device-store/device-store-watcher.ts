import type { Component } from '../../core/lifecycle.js'
import type { DeviceStore } from './device-store.js'

export const DEFAULT_DEVICE_STORE_POLL_MS = 500

export interface DeviceStoreWatcherOptions {
  store: DeviceStore
  /** How often the source is polled; revocations apply (and close connections) within this delay. */
  intervalMs?: number
  onReload?: () => void
  /** A bad file after start: the previous view stays in force, so report it rather than stop. */
  onError: (err: unknown) => void
}

/**
 * Polls rather than fs.watch: watch events are unreliable across editors (rename vs write),
 * network filesystems and containers, while a stat every 500 ms costs nothing (the file is
 * re-read only when its inode, size or mtime changed).
 */
export function createDeviceStoreWatcher(options: DeviceStoreWatcherOptions): Component {
  const { store, onError } = options
  let timer: NodeJS.Timeout | undefined
  const poll = (): void => {
    try {
      if (store.reload() === 'reloaded') options.onReload?.()
    } catch (err) {
      onError(err)
    }
  }
  return {
    name: 'gateway.device-store-watcher',
    // The first read is not caught as a poll's is: a gateway with an unreadable store must not start.
    start: () =>
      Promise.resolve().then(() => {
        store.reload()
        timer ??= setInterval(poll, options.intervalMs ?? DEFAULT_DEVICE_STORE_POLL_MS)
        timer.unref()
      }),
    stop() {
      clearInterval(timer)
      timer = undefined
      return Promise.resolve()
    },
  }
}
