/** One sample of the Prometheus text exposition format. */
export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the text format (comments and malformed lines skipped; values NaN/+Inf kept as numbers). */
export function parsePromText(text: string): PromSample[] {
  const samples: PromSample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL))
      labels[l[1] as string] = (l[2] as string).replace(/\\n/g, '\n').replace(/\\(.)/g, '$1')
    const value = Number(m[3])
    if (!Number.isNaN(value) || m[3] === 'NaN') samples.push({ name: m[1] as string, labels, value })
  }
  return samples
}

const key = (s: PromSample): string =>
  s.name + JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)))

export interface PipelineSummary {
  atMs: number
  targets: Array<{ url: string; up: boolean; error?: string }>
  /** Per counter with a topic label (records per channel): rate over the last scrape interval. */
  rates: Array<{ name: string; topic: string; perSec: number }>
  /** null: no process reports pulsewire_kafka_consumer_lag. */
  lag: Array<{ group: string; topic: string; records: number }> | null
  latency: Array<{ name: string; meanMs: number; count: number }>
  dlq: Array<{ name: string; labels: Record<string, string>; value: number }>
  connections: number | null
}

/** Turns two successive scrapes (samples by target) into the pipeline view's numbers. */
export function summarise(
  previous: { atMs: number; samples: PromSample[] } | undefined,
  current: { atMs: number; samples: PromSample[] },
  targets: PipelineSummary['targets'],
): PipelineSummary {
  const before = new Map((previous?.samples ?? []).map((s) => [key(s), s.value]))
  const seconds = previous ? (current.atMs - previous.atMs) / 1000 : 0
  const delta = (s: PromSample): number | undefined => {
    const old = before.get(key(s))
    return old === undefined || s.value < old ? undefined : s.value - old
  }
  const rates = new Map<string, { name: string; topic: string; perSec: number }>()
  const lag = new Map<string, { group: string; topic: string; records: number }>()
  const latency: PipelineSummary['latency'] = []
  const dlq: PipelineSummary['dlq'] = []
  let connections: number | null = null
  const byKey = new Map(current.samples.map((s) => [key(s), s]))
  for (const s of current.samples) {
    if (s.name.endsWith('_total') && s.labels.topic && seconds > 0) {
      const d = delta(s)
      if (d !== undefined) {
        const id = `${s.name} ${s.labels.topic}`
        const entry = rates.get(id) ?? { name: s.name, topic: s.labels.topic, perSec: 0 }
        entry.perSec += d / seconds
        rates.set(id, entry)
      }
    }
    if (s.name === 'pulsewire_kafka_consumer_lag') {
      const id = `${s.labels.group} ${s.labels.topic}`
      const entry = lag.get(id) ?? { group: s.labels.group ?? '', topic: s.labels.topic ?? '', records: 0 }
      entry.records += s.value
      lag.set(id, entry)
    }
    if (s.name.endsWith('_sum') && /latency|duration/.test(s.name) && seconds > 0) {
      const count = byKey.get(key({ ...s, name: s.name.replace(/_sum$/, '_count') }))
      const dSum = delta(s)
      const dCount = count ? delta(count) : undefined
      if (dSum !== undefined && dCount)
        latency.push({ name: s.name.replace(/_sum$/, ''), meanMs: (dSum / dCount) * 1000, count: dCount })
    }
    if (s.name.includes('dlq') && !s.name.endsWith('_bucket'))
      dlq.push({ name: s.name, labels: s.labels, value: s.value })
    if (s.name === 'pulsewire_gateway_connections') connections = (connections ?? 0) + s.value
  }
  return {
    atMs: current.atMs,
    targets,
    rates: [...rates.values()].sort((a, b) => a.name.localeCompare(b.name) || a.topic.localeCompare(b.topic)),
    lag: lag.size > 0 ? [...lag.values()] : null,
    latency,
    dlq,
    connections,
  }
}

/** Scrapes the configured endpoints every interval; a target down is reported, never thrown. */
export function createPipelineScraper(
  urls: readonly string[],
  intervalMs: number,
  onSummary: (s: PipelineSummary) => void,
) {
  let previous: { atMs: number; samples: PromSample[] } | undefined
  let timer: NodeJS.Timeout | undefined
  let latest: PipelineSummary | undefined
  async function scrape(): Promise<void> {
    const targets: PipelineSummary['targets'] = []
    const samples: PromSample[] = []
    await Promise.all(
      urls.map(async (url) => {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(intervalMs, 3_000)) })
          if (!res.ok) throw new Error(`HTTP ${res.status}`)
          samples.push(
            ...parsePromText(await res.text()).map((s) => ({ ...s, labels: { ...s.labels, target: url } })),
          )
          targets.push({ url, up: true })
        } catch (err) {
          targets.push({ url, up: false, error: err instanceof Error ? err.message : String(err) })
        }
      }),
    )
    const current = { atMs: Date.now(), samples }
    latest = summarise(
      previous,
      current,
      targets.sort((a, b) => a.url.localeCompare(b.url)),
    )
    previous = current
    onSummary(latest)
  }
  return {
    name: 'web-pipeline-scraper',
    latest: () => latest,
    start(): Promise<void> {
      const tick = (): void => {
        void scrape().finally(() => {
          if (timer !== undefined) timer = setTimeout(tick, intervalMs).unref()
        })
      }
      timer = setTimeout(tick, 0).unref()
      return Promise.resolve()
    },
    stop(): Promise<void> {
      clearTimeout(timer)
      timer = undefined
      return Promise.resolve()
    },
  }
}
