// The load tester's public API: what `pulsewire loadtest` and the peer comparison (bench/peer) use.
export { runLoadtest, type LoadtestHooks } from './engine.js'
export { parseLoadtestOptions, type FaultSpec, type LoadtestInput, type LoadtestOptions } from './options.js'
export { createProgressWriter, formatLoadProgress, type LoadProgress } from './progress.js'
export { PULSEWIRE_PROCESSES, PulsewireTarget, type PulsewireTargetOptions } from './pulsewire-target.js'
export { LOAD_PROFILE_NAMES, LOAD_PROFILES, type LoadProfileName } from './readings.js'
export type { Reconciliation, DeviceReconciliation } from './reconcile.js'
export {
  formatReport,
  type LoadReport,
  type Throughput,
  type FaultRecord,
  type AlertLatency,
} from './report.js'
export { resultFilePath, writeResultFile } from './results-file.js'
export type { LoadTarget, LoadTargetEndpoints, LoadTargetProcess } from './target.js'
