import type { Component } from '../../core/lifecycle.js'
import type { StackServer } from '../../deploy/local/stack.js'

export interface LocalStackDeps {
  /** stackUp: resolves with the servers it started (a running one is reused). */
  up(): Promise<{ started: StackServer[] }>
  /** stackDown of just these servers. */
  down(only: readonly StackServer[]): Promise<void>
  say(line: string): void
}

/**
 * The local stack as a component of `pulsewire up`: it stops only the servers it started. A
 * stack that was running before (yours, or the one the tests share) keeps running after
 * Ctrl-C or a failure; one that `up` started goes down with it, as `npm start` expects.
 */
export function localStackComponent(deps: LocalStackDeps): Component {
  let started: StackServer[] = []
  return {
    name: 'local-stack',
    async start() {
      started = (await deps.up()).started
    },
    async stop() {
      const ours = started
      started = []
      if (ours.length > 0) await deps.down(ours)
      const kept = (['kafka', 'influxdb'] as const).filter((s) => !ours.includes(s))
      if (kept.length > 0)
        deps.say(`stack     ${kept.join(' and ')} left running (running before pulsewire up)`)
    },
  }
}
