import { describe, expect, it } from 'vitest'
import { componentOf, summariseProfile } from '../../../../bench/profiles/cpu-profile.js'

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  children,
})

describe('cpu profile summary', () => {
  it('names the component of a frame', () => {
    expect(componentOf('file:///w/node_modules/@influxdata/influxdb-client/dist/index.mjs', 'x')).toBe(
      '@influxdata/influxdb-client',
    )
    expect(componentOf('file:///w/node_modules/node-rdkafka/lib/producer.js', 'x')).toBe('node-rdkafka')
    expect(componentOf('file:///w/dist/gateway/forward.js', 'x')).toBe('gateway')
    expect(componentOf('node:net', 'x')).toBe('node')
    expect(componentOf('', '(garbage collector)')).toBe('gc')
    expect(componentOf('', '(idle)')).toBe('idle')
  })

  it('adds self time from samples and time deltas, leaving idle out of busy', () => {
    const profile = {
      nodes: [
        frame(1, '(root)', '', [2, 3, 4]),
        frame(2, 'decode', 'file:///w/dist/core/telemetry/envelope.js'),
        frame(3, '(idle)', ''),
        frame(4, '(garbage collector)', ''),
      ],
      startTime: 0,
      endTime: 10_000,
      // A sample's time is the delta to the next sample.
      samples: [2, 2, 3, 4, 2],
      timeDeltas: [0, 1_000, 1_000, 4_000, 2_000],
    }
    const s = summariseProfile(profile)
    // decode 1 + 1 ms (its last sample has no next delta), idle 4 ms, GC 2 ms.
    expect(s.busyMs).toBe(4)
    expect(s.byComponent).toEqual([
      { component: 'core', selfMs: 2, busyPercent: 50 },
      { component: 'gc', selfMs: 2, busyPercent: 50 },
    ])
    expect(s.top[0]).toMatchObject({ name: 'decode', where: 'core/telemetry/envelope.js:10', selfMs: 2 })
  })
})
