// asciichart 1.5.25 ships no types: the part of its API that core/influx/query/chart.ts uses.
declare module 'asciichart' {
  export interface PlotConfig {
    /** Lower and upper bound of the y axis (default: the data's). */
    min?: number
    max?: number
    /** Rows between min and max (default: the data's range). */
    height?: number
    /** Columns before the first point: the y label sits left of it, the axis at offset − 1. */
    offset?: number
    /** The y label of a row; its length is the label column's width. */
    format?: (value: number, row: number) => string
  }
  interface AsciiChart {
    /** One series (or several, overlaid): rows joined by "\n", no colours unless asked. */
    plot(series: readonly number[] | ReadonlyArray<readonly number[]>, config?: PlotConfig): string
  }
  const asciichart: AsciiChart
  export default asciichart
}
