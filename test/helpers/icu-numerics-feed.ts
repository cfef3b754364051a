/**
 * A **synthetic** ICU numerics record, shaped like a bedside monitor's numerics export (issue #9
 * finding 6): 32 h, one row a minute, heart rate, SpO2 and respiration rate, and no quality
 * field at all. No public dataset is available offline, so it is generated, deterministically
 * (seeded), with what such exports contain:
 * - signal dropouts written as 0: runs of SpO2 0 (probe off, no perfusion), 363 readings in all,
 *   some with HR 0 at the same minutes (the whole cable off) and a few HR-only runs (ECG lead-off);
 * - genuine desaturation episodes, separated by hours of recovery: four shallow ones (87-88 % for
 *   6-9 min) and a last, deep one (82 %);
 * - ordinary variability: circadian heart rate, AR(1) noise, integer quantisation.
 */
export interface NumericsRow {
  tMs: number
  hr: number
  spo2: number
  rr: number
}

export interface Run {
  /** Index of the first row of the run, and how many rows it covers. */
  start: number
  length: number
}

export interface NumericsFeed {
  rows: NumericsRow[]
  spo2Dropouts: Run[]
  hrDropouts: Run[]
  /** Genuine desaturations: the rows below 90 %, and the nadir. */
  episodes: Array<Run & { nadir: number }>
}

export const FEED_MINUTES = 32 * 60
export const SPO2_ZEROS = 363
const MINUTE = 60_000

/** mulberry32: a small seeded PRNG, enough for test data. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Episode starts (row index), plateau length, nadir. The last one is deep (below the 85 % limit). */
const EPISODES = [
  { at: 300, plateau: 6, nadir: 88 },
  { at: 700, plateau: 9, nadir: 87 },
  { at: 1100, plateau: 7, nadir: 88 },
  { at: 1500, plateau: 8, nadir: 87 },
  { at: 1800, plateau: 5, nadir: 82 },
]
// Ramp into and out of the plateau: 94, 91 down; 90, 93, 95 up (90 is not below 90, 93 clears ≥ 92).
const RAMP_DOWN = [94, 91]
const RAMP_UP = [90, 93, 95]

export function createIcuNumericsFeed(startMs: number, seed = 9): NumericsFeed {
  const random = createRandom(seed)
  const gauss = (): number => {
    const u = Math.max(random(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  let hrNoise = 0
  let spo2Noise = 0
  let rrNoise = 0
  const rows: NumericsRow[] = []
  for (let i = 0; i < FEED_MINUTES; i++) {
    hrNoise = 0.8 * hrNoise + 2.2 * gauss()
    spo2Noise = 0.7 * spo2Noise + 0.6 * gauss()
    rrNoise = 0.6 * rrNoise + 1.0 * gauss()
    const circadian = 6 * Math.sin((2 * Math.PI * i) / (24 * 60))
    rows.push({
      tMs: startMs + i * MINUTE,
      hr: Math.round(78 + circadian + hrNoise),
      spo2: Math.min(99, Math.max(94, Math.round(96.5 + spo2Noise))),
      rr: Math.max(10, Math.round(16 + rrNoise)),
    })
  }

  const episodes: NumericsFeed['episodes'] = []
  const busy: Array<[number, number]> = []
  for (const e of EPISODES) {
    const shape = [...RAMP_DOWN, ...Array<number>(e.plateau).fill(e.nadir), ...RAMP_UP]
    shape.forEach((v, k) => {
      const row = rows[e.at + k]
      if (row) row.spo2 = v
    })
    episodes.push({ start: e.at + RAMP_DOWN.length, length: e.plateau, nadir: e.nadir })
    busy.push([e.at - 20, e.at + shape.length + 20]) // dropouts keep 20 min away from episodes
  }

  const free = (start: number, length: number): boolean =>
    start > 5 &&
    start + length < FEED_MINUTES - 5 &&
    busy.every(([a, b]) => start + length + 5 < a || start > b + 5)
  const place = (length: number): number => {
    for (;;) {
      const start = Math.floor(random() * FEED_MINUTES)
      if (free(start, length)) return start
    }
  }

  const spo2Dropouts: Run[] = []
  const hrDropouts: Run[] = []
  const lengths = [1, 1, 2, 3, 5, 8, 12, 20, 30, 45]
  let zeros = 0
  while (zeros < SPO2_ZEROS) {
    const length = Math.min(lengths[Math.floor(random() * lengths.length)] ?? 1, SPO2_ZEROS - zeros)
    const start = place(length)
    busy.push([start, start + length])
    spo2Dropouts.push({ start, length })
    if (random() < 0.35) hrDropouts.push({ start, length }) // the whole monitor cable off
    zeros += length
  }
  for (const length of [4, 9]) {
    const start = place(length)
    busy.push([start, start + length])
    hrDropouts.push({ start, length }) // ECG lead-off while the oximeter reads on
  }
  for (const run of spo2Dropouts) for (let k = 0; k < run.length; k++) rows[run.start + k]!.spo2 = 0
  for (const run of hrDropouts) for (let k = 0; k < run.length; k++) rows[run.start + k]!.hr = 0
  const byStart = (a: Run, b: Run): number => a.start - b.start
  return {
    rows,
    spo2Dropouts: spo2Dropouts.sort(byStart),
    hrDropouts: hrDropouts.sort(byStart),
    episodes,
  }
}
