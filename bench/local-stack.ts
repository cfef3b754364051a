import { spawnSync } from 'node:child_process'

/**
 * Brings the local stack up (Kafka, InfluxDB, the channels) before a benchmark runs, as `npm test`
 * does: `stack up` reuses servers already running and starts the missing ones. A benchmark that
 * finds no broker would otherwise fail every step with "broker transport failure" and record that.
 */
export function ensureLocalStack(root: string): void {
  const up = spawnSync('node', ['dist/cli/main.js', 'stack', 'up'], { cwd: root, stdio: 'inherit' })
  if (up.status !== 0) {
    process.stderr.write(
      `the local stack did not come up (exit ${up.status ?? up.signal}); nothing was measured\n`,
    )
    process.exit(up.status ?? 1)
  }
}
