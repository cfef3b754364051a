import { join } from 'node:path'
import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'
import { boundaries } from '../../../eslint.boundaries.js'
import { repoRoot } from '../../helpers/cli.js'

// The same rules `npm run lint` applies, without type information (a probe file is not part
// of the TypeScript project): a deliberate bad import must be reported, a good one must not.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...boundaries],
})

async function violations(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(repoRoot, file) })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('layout > import boundaries', () => {
  it.each([
    ['core/influx/probe.ts', "import { x } from '../../processors/storage/points.js'"],
    ['core/probe.ts', "import { x } from '../gateway/forward.js'"],
    ['core/probe.ts', "export { x } from '../deploy/local/stack.js'"],
    ['devices-sim/profiles/probe.ts', "import { x } from '../../gateway/device-store/provision.js'"],
    ['devices-sim/probe.ts', "import type { X } from '../bench/loadtest/report.js'"],
    ['gateway/probe.ts', "import { x } from '../cli/context.js'"],
    ['processors/storage/probe.ts', "import { x } from '../../bench/proc-stats.js'"],
  ])('%s: %s is refused', async (file, source) => {
    const found = await violations(file, source)
    expect(found).toHaveLength(1)
  })

  it.each([
    ['core/influx/probe.ts', "import { x } from '../telemetry/topics.js'"],
    ['devices-sim/profiles/probe.ts', "import { x } from '../../core/clock.js'"],
    ['devices-sim/probe.ts', "import { x } from '../proto/gen/pulsewire.js'"],
    ['gateway/probe.ts', "import { x } from '../core/errors.js'"],
    ['bench/probe.ts', "import { x } from '../gateway/main.js'"],
    ['cli/commands/probe.ts', "import { x } from '../../bench/loadtest/engine.js'"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await violations(file, source)).toEqual([])
  })
})
