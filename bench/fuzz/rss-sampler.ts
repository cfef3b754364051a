// Resident set size of this process over a run, sampled on a timer (the gateway under fuzz runs
// in-process, so this is the gateway's memory plus the fuzzer's own, which is small and flat).
export interface RssSampler {
  readonly baselineBytes: number
  maxBytes(): number
  stop(): { baselineBytes: number; maxBytes: number; endBytes: number }
}

export function startRssSampler(intervalMs = 200): RssSampler {
  const baselineBytes = process.memoryUsage.rss()
  let max = baselineBytes
  const timer = setInterval(() => {
    max = Math.max(max, process.memoryUsage.rss())
  }, intervalMs)
  timer.unref()
  return {
    baselineBytes,
    maxBytes: () => Math.max(max, process.memoryUsage.rss()),
    stop() {
      clearInterval(timer)
      const endBytes = process.memoryUsage.rss()
      return { baselineBytes, maxBytes: Math.max(max, endBytes), endBytes }
    },
  }
}
