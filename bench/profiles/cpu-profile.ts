import { readFileSync } from 'node:fs'

/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and says where the time went: self time per
 * function and per component (our folders, each dependency, node internals, GC, idle). Pure
 * arithmetic over the profile's nodes and samples: no DevTools needed to read a run.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface Frame {
  name: string
  /** Where: a repo-relative path or a package, with the line. */
  where: string
  component: string
  selfMs: number
  selfPercent: number
}

export interface ProfileSummary {
  durationMs: number
  /** Busy = everything but "(idle)": the CPU the process used while profiled. */
  busyMs: number
  byComponent: Array<{ component: string; selfMs: number; busyPercent: number }>
  top: Frame[]
}

/** node_modules/<pkg> (scoped too), our top folder, node: internals, or V8's pseudo-frames. */
export function componentOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'gc'
    if (functionName === '(idle)') return 'idle'
    if (functionName === '(program)') return 'v8/native'
    return 'native'
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1] as string
  if (url.startsWith('node:')) return 'node'
  const ours =
    /\/dist\/([^/]+)\//.exec(url) ?? /\/(core|gateway|processors|bench|cli|devices-sim|proto)\//.exec(url)
  if (ours) return ours[1] as string
  return 'other'
}

const shortUrl = (url: string): string => {
  const pkg = url.lastIndexOf('node_modules/')
  if (pkg >= 0) return url.slice(pkg + 'node_modules/'.length)
  const dist = url.lastIndexOf('/dist/')
  if (dist >= 0) return url.slice(dist + '/dist/'.length)
  return url.replace(/^file:\/\//, '')
}

export function summariseProfile(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  if (samples.length > 0) {
    // A sample's time is the delta to the next one (the last takes the profile's end).
    for (let i = 0; i < samples.length; i++) {
      const next = deltas[i + 1] ?? 0
      const id = samples[i] as number
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next))
    }
  } else {
    const interval =
      (profile.endTime - profile.startTime) /
      Math.max(
        1,
        profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0),
      )
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval)
  }
  const frames = new Map<string, Omit<Frame, 'selfPercent'>>()
  const components = new Map<string, number>()
  let idleUs = 0
  let totalUs = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    const { functionName, url, lineNumber } = node.callFrame
    const component = componentOf(url, functionName)
    totalUs += us
    if (component === 'idle') {
      idleUs += us
      continue
    }
    components.set(component, (components.get(component) ?? 0) + us)
    const name = functionName || '(anonymous)'
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`
    const key = `${name}@${where}`
    const frame = frames.get(key) ?? { name, where, component, selfMs: 0 }
    frame.selfMs += us / 1000
    frames.set(key, frame)
  }
  const busyUs = totalUs - idleUs
  const pct = (us: number): number => Math.round((us / Math.max(1, busyUs)) * 1000) / 10
  return {
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busyUs / 1000),
    byComponent: [...components]
      .map(([component, us]) => ({ component, selfMs: Math.round(us / 1000), busyPercent: pct(us) }))
      .sort((a, b) => b.selfMs - a.selfMs),
    top: [...frames.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN)
      .map((f) => ({ ...f, selfMs: Math.round(f.selfMs), selfPercent: pct(f.selfMs * 1000) })),
  }
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
}

/** Markdown: components, then the top frames, as bench/profiles/README.md records them. */
export function formatProfile(title: string, s: ProfileSummary, topN = 12): string[] {
  return [
    `#### ${title}`,
    '',
    `${s.busyMs} ms busy of ${s.durationMs} ms profiled.`,
    '',
    '| component | self ms | % of busy |',
    '| --- | --: | --: |',
    ...s.byComponent.slice(0, 10).map((c) => `| ${c.component} | ${c.selfMs} | ${c.busyPercent} |`),
    '',
    '| function | where | self ms | % of busy |',
    '| --- | --- | --: | --: |',
    ...s.top
      .slice(0, topN)
      .map((f) => `| \`${f.name}\` | ${f.where || '–'} | ${f.selfMs} | ${f.selfPercent} |`),
  ]
}
