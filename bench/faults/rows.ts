// The fault matrix of issue #14: each row, the integration test that runs it, and how its figures
// are rendered into bench/RESULTS.md. A row without a test stays in the table as "no test yet".

export interface FaultRow {
  /** The name the test records its figures under (test/helpers/fault-figures.ts). */
  id: string
  fault: string
  expected: string
  /** Test files, relative to the repository root; empty: not built yet. */
  files: readonly string[]
  /** Whether PULSEWIRE_FAULT_SCALE=full changes the test (else it runs at its one scale). */
  scales: boolean
  /** The row whose figures this one shares (one test run proves both). */
  figuresOf?: string
}

export const FAULT_ROWS: readonly FaultRow[] = [
  {
    id: 'row1-broker-sigkill',
    fault: 'a Kafka broker SIGKILLed (leader of most partitions), restarted after 30 s',
    expected: '0 lost; PUBACK latency spike only',
    files: ['test/integration/gateway/broker-sigkill.test.ts'],
    scales: true,
  },
  {
    id: 'row2-broker-sigstop',
    fault: 'a broker SIGSTOPped 60 s',
    expected: '0 lost; gateways stay ready while ISR ≥ 2',
    files: ['test/integration/gateway/broker-sigstop.test.ts'],
    scales: true,
  },
  {
    id: 'row3-kafka-outage',
    fault: 'all of Kafka stopped for 3× the device keepalive',
    expected: 'PUBACKs withheld, gateways not ready, 0 lost, duplicates removed downstream',
    files: ['test/integration/gateway/kafka-outage.test.ts'],
    scales: false,
  },
  {
    id: 'row4-gateway-sigkill',
    fault: 'a gateway SIGKILLed, devices move to the others',
    expected: '0 lost; no communication-loss alarm beyond the move',
    files: [],
    scales: false,
  },
  {
    id: 'row5-processor-sigkill',
    fault: 'one storage and one alerting instance SIGKILLed',
    expected: '0 lost, 0 duplicate points, 0 repeated or spurious alert transitions',
    // Both halves, one figures file: storage (two members, one SIGKILLed) and alerting (three
    // members, one SIGKILLed; the file's two-member test runs with it).
    files: [
      'test/integration/processors/storage/storage-members-sigkill.test.ts',
      'test/integration/processors/alerting/copartitioned.test.ts',
    ],
    scales: false,
  },
  {
    id: 'row6-influx-outage',
    fault: 'InfluxDB down 10 minutes',
    expected: 'alerting unaffected, storage catches up, 0 lost, no rebalance loop',
    files: ['test/integration/processors/storage/influx-outage.test.ts'],
    scales: false,
  },
  {
    id: 'row7-broker-cut-off',
    fault: 'one broker cut off (here: its replication paused with SIGSTOP, as row 2)',
    expected: '0 acknowledged-then-lost',
    files: ['test/integration/gateway/broker-sigstop.test.ts'],
    scales: true,
    figuresOf: 'row2-broker-sigstop',
  },
]

export interface RowOutcome {
  row: FaultRow
  /** Exit status of the test run; undefined when the row has no test or was not selected. */
  status?: number
  scale?: string
  /** What the test recorded, if it got that far. */
  figures?: Record<string, number | string | boolean>
}

const ms = (v: unknown): string => (typeof v === 'number' ? `${(v / 1000).toFixed(1)} s` : '—')
const n = (v: unknown): string => (typeof v === 'number' ? v.toLocaleString('en-US') : '—')
const COMMON = new Set([
  'lost',
  'ackedButLost',
  'duplicates',
  'duplicatesAfterDedupe',
  'recoveryMs',
  'pubackP99SteadyMs',
  'pubackP99DuringFaultMs',
  'published',
])

/** The markdown of the faults section: one table row per matrix row, then each row's other figures. */
export function renderFaults(outcomes: readonly RowOutcome[], command: string, when: string): string {
  const lines = [
    '## Fault matrix (issue #14)',
    '',
    `Command: \`${command}\` (\`bench/faults/faults-bench.ts\`), run ${when}. Each row is its integration`,
    'test, run once with `PULSEWIRE_FAULT_SCALE` as shown; "small" is the `npm test` scale. Lost and',
    'acknowledged-then-lost are by (device, seq) against what the devices published; duplicates before',
    'dedupe are extra copies in Kafka, after dedupe what reached InfluxDB twice.',
    '',
    '| row | fault | result | scale | published | lost | acked, then lost | duplicates before / after dedupe | recovery | PUBACK p99 steady / during fault |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const o of outcomes) {
    const f = o.figures ?? {}
    const result =
      o.row.files.length === 0
        ? 'no test yet'
        : o.status === undefined
          ? 'not run'
          : o.status === 0
            ? 'pass'
            : `**fail** (exit ${o.status})`
    const p99 =
      typeof f.pubackP99DuringFaultMs === 'number'
        ? `${n(f.pubackP99SteadyMs)} / ${n(f.pubackP99DuringFaultMs)} ms`
        : '—'
    lines.push(
      `| ${o.row.id.split('-')[0]} | ${o.row.fault} | ${result} | ${o.scale ?? '—'} | ${n(f.published)} | ${n(f.lost)} | ${n(f.ackedButLost)} | ${n(f.duplicates)} / ${n(f.duplicatesAfterDedupe)} | ${ms(f.recoveryMs)} | ${p99} |`,
    )
  }
  lines.push('')
  for (const o of outcomes) {
    const rest = Object.entries(o.figures ?? {}).filter(([k]) => !COMMON.has(k))
    if (rest.length === 0) continue
    lines.push(`- **${o.row.id}**: ${rest.map(([k, v]) => `${k} ${String(v)}`).join(', ')}`)
  }
  return lines.join('\n')
}
