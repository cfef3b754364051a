/**
 * NEWS2 (domain.md §1.5) for the scenarios' ground truth: which band the *intended* trajectory is
 * in, so tests and reports can compare the processor's score with what was injected. Assumes
 * SpO2 Scale 1, air, alert (the inputs devices do not measure).
 */
export interface News2Inputs {
  respirationRate: number
  spo2: number
  systolic: number
  heartRate: number
  temperature: number
}

export type News2Band = 'low' | 'low-medium' | 'medium' | 'high'

const score = (value: number, bands: readonly (readonly [number, number])[]): number =>
  bands.find(([upper]) => value <= upper)?.[1] ?? 0

export function news2Scores(v: News2Inputs): number[] {
  const rr = Math.round(v.respirationRate)
  const hr = Math.round(v.heartRate)
  const sbp = Math.round(v.systolic)
  const temp = Math.round(v.temperature * 10) / 10
  return [
    score(rr, [
      [8, 3],
      [11, 1],
      [20, 0],
      [24, 2],
      [Infinity, 3],
    ]),
    score(Math.round(v.spo2), [
      [91, 3],
      [93, 2],
      [95, 1],
      [Infinity, 0],
    ]),
    score(sbp, [
      [90, 3],
      [100, 2],
      [110, 1],
      [219, 0],
      [Infinity, 3],
    ]),
    score(hr, [
      [40, 3],
      [50, 1],
      [90, 0],
      [110, 1],
      [130, 2],
      [Infinity, 3],
    ]),
    score(temp, [
      [35.0, 3],
      [36.0, 1],
      [38.0, 0],
      [39.0, 1],
      [Infinity, 2],
    ]),
  ]
}

/** Aggregate and band: ≥ 7 high, 5–6 medium, a single 3 low-medium, else low (§1.5). */
export function news2(v: News2Inputs): { total: number; band: News2Band } {
  const scores = news2Scores(v)
  const total = scores.reduce((a, b) => a + b, 0)
  const band: News2Band =
    total >= 7 ? 'high' : total >= 5 ? 'medium' : scores.includes(3) ? 'low-medium' : 'low'
  return { total, band }
}
