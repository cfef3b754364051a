// Summarises the CPU profiles of a load test (pulsewire loadtest --cpu-prof DIR): per process,
// where its busy time went, by component and by function, as markdown for bench/profiles/README.md.
//   node dist/bench/profiles/summarise.js DIR [--top 12]
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatProfile, readProfile, summariseProfile } from './cpu-profile.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '12' } },
})
const dir = positionals[0]
if (!dir) {
  process.stderr.write('usage: node dist/bench/profiles/summarise.js DIR [--top N]\n')
  process.exit(78)
}
// Each process writes its own subfolder (the target names them by role), or flat files.
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cpuprofile'))
if (files.length === 0) {
  process.stderr.write(`no .cpuprofile under ${dir}\n`)
  process.exit(1)
}
for (const file of files.sort()) {
  const summary = summariseProfile(readProfile(join(dir, file)), Number(values.top))
  process.stdout.write(`${formatProfile(file, summary, Number(values.top)).join('\n')}\n\n`)
}
