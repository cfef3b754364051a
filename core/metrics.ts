import { Registry, collectDefaultMetrics } from 'prom-client'

export const METRIC_PREFIX = 'pulsewire_'

/**
 * Each process owns its registry (no prom-client global), with Node.js process metrics
 * (CPU, RSS, event-loop lag, GC) under the `pulsewire_` prefix.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX })
  return registry
}
