import type { Component } from '../../core/lifecycle.js'
import type { DeviceRegistry } from './device-registry.js'

export const DEFAULT_REGISTRY_POLL_MS = 2_000

export interface RegistryWatcherOptions {
  registry: DeviceRegistry
  /** How often the source is polled; revocations apply within this delay, without a restart. */
  intervalMs?: number
  onReload?: () => void
  /** A bad file after start: the previous view stays in force, so report it rather than stop. */
  onError: (err: unknown) => void
}

/**
 * Polls rather than fs.watch: watch events are unreliable across editors (rename vs write),
 * network filesystems and containers, while a stat every 2 s costs nothing.
 */
export function createRegistryWatcher(options: RegistryWatcherOptions): Component {
  const { registry, onError } = options
  let timer: NodeJS.Timeout | undefined
  const poll = (): void => {
    try {
      if (registry.reload() === 'reloaded') options.onReload?.()
    } catch (err) {
      onError(err)
    }
  }
  return {
    name: 'gateway.registry-watcher',
    // The first read is not caught as a poll's is: a gateway with an unreadable registry must not start.
    start: () =>
      Promise.resolve().then(() => {
        registry.reload()
        timer ??= setInterval(poll, options.intervalMs ?? DEFAULT_REGISTRY_POLL_MS)
        timer.unref()
      }),
    stop() {
      clearInterval(timer)
      timer = undefined
      return Promise.resolve()
    },
  }
}
