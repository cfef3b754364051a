/** Live figures of a load test, once a second. */
export interface LoadProgress {
  phase: 'load' | 'drain'
  elapsedS: number
  offeredPerSec: number
  ackedPerSec: number
  kafkaPerSec: number
  awaitingAck: number
  /** PUBACK p99 so far, ms. */
  p99Ms: number | null
  errors: number
  connected: number
  devices: number
  generatorLagMs: number
}

export function formatLoadProgress(p: LoadProgress): string {
  return [
    `${p.phase} t=${p.elapsedS.toFixed(0)}s`,
    `offered ${Math.round(p.offeredPerSec)} msg/s`,
    `acked ${Math.round(p.ackedPerSec)} msg/s`,
    `kafka ${Math.round(p.kafkaPerSec)} msg/s`,
    `awaiting ack ${p.awaitingAck}`,
    `p99 ${p.p99Ms === null ? '-' : p.p99Ms.toFixed(1)} ms`,
    `connected ${p.connected}/${p.devices}`,
    `errors ${p.errors}`,
    ...(p.generatorLagMs > 50 ? [`generator lag ${Math.round(p.generatorLagMs)} ms`] : []),
  ].join('  ')
}

export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
}

/** One updating line on a terminal, plain lines otherwise (logs, CI, pipes). */
export function createProgressWriter(stream: ProgressStream): { update(p: LoadProgress): void; end(): void } {
  let live = false
  return {
    update(p) {
      if (stream.isTTY) {
        live = true
        stream.write(`\r\x1b[2K${formatLoadProgress(p)}`)
      } else {
        stream.write(`${formatLoadProgress(p)}\n`)
      }
    },
    end() {
      if (live) stream.write('\n')
      live = false
    },
  }
}
