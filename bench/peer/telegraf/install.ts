import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../../core/config/load.js'
import { PipelineError } from '../../../core/errors.js'
import { commandExists } from '../../../deploy/local/host.js'
import { stackConfigSchema, stackPaths } from '../../../deploy/local/config.js'

/** The Telegraf release the peer is measured with (issue #11). */
export const TELEGRAF_VERSION = '1.37.2'
const TELEGRAF_MODULE = 'github.com/influxdata/telegraf'

/**
 * Where the binary lives: `<cache>/telegraf/bin/telegraf`, under the same cache root as the
 * local stack's Kafka and InfluxDB (`PULSEWIRE__CACHE_DIR`, `.cache` by default). Never committed.
 */
export function telegrafBinary(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const config = loadConfig({ schema: stackConfigSchema, file: env.PULSEWIRE_STACK_CONFIG, env })
  return join(stackPaths(config, root).cache, 'telegraf', 'bin', 'telegraf')
}

/**
 * The version a binary is, or undefined. `go install` does not set Telegraf's `-X` version
 * (its Makefile does), so a binary built without our ldflags says "unknown": then the module
 * version Go recorded in the binary (`go version -m`) decides.
 */
export function telegrafBinaryVersion(binary: string): string | undefined {
  if (!existsSync(binary)) return undefined
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' })
  const said = /Telegraf\/?\s*v?(\d+\.\d+\.\d+)/.exec(`${run.stdout}`)?.[1]
  if (said) return said
  if (!commandExists('go')) return undefined
  const info = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' })
  const line = new RegExp(`^\\s*mod\\s+${TELEGRAF_MODULE.replaceAll('.', '\\.')}\\s+v(\\S+)`, 'm')
  return line.exec(`${info.stdout}`)?.[1]
}

/** Whether `go version` output names a Go that can build Telegraf 1.37.2 (≥ 1.21: toolchain switching). */
export function goCanBuildTelegraf(goVersionOutput: string): boolean {
  const version = /\bgo(\d+)\.(\d+)/.exec(goVersionOutput)
  return version !== null && Number(version[1]) * 100 + Number(version[2]) >= 121
}

export interface EnsureTelegrafOptions {
  root: string
  env?: NodeJS.ProcessEnv
  log?: (line: string) => void
}

/**
 * Finds Telegraf 1.37.2 in the cache or builds it there with `go install` (≈ 15–30 min cold on
 * a 2-core box, seconds once Go's build cache is warm). Returns the binary's path.
 */
export async function ensureTelegraf(options: EnsureTelegrafOptions): Promise<string> {
  const env = options.env ?? process.env
  const log = options.log ?? (() => undefined)
  const binary = telegrafBinary(options.root, env)
  const found = telegrafBinaryVersion(binary)
  if (found === TELEGRAF_VERSION) return binary
  if (!commandExists('go')) {
    throw new PipelineError(
      'STACK_PREREQUISITE_MISSING',
      `the Telegraf peer needs ${binary} (Telegraf ${TELEGRAF_VERSION})${found ? `, found ${found}` : ''}; ` +
        'building it needs Go ≥ 1.21 (https://go.dev/dl/)',
    )
  }
  // Telegraf 1.37.2's go.mod needs Go 1.25.5. A go ≥ 1.21 fetches that toolchain itself
  // (GOTOOLCHAIN=auto, the default); an older one (Debian bookworm's golang-go is 1.19) cannot.
  const goSays = spawnSync('go', ['version'], { encoding: 'utf8' }).stdout
  if (!goCanBuildTelegraf(goSays)) {
    throw new PipelineError(
      'STACK_PREREQUISITE_MISSING',
      `building Telegraf ${TELEGRAF_VERSION} needs Go ≥ 1.21 (it then fetches Go 1.25.5 itself); ` +
        `found "${goSays.trim()}" (https://go.dev/dl/)`,
    )
  }
  const gobin = join(binary, '..')
  mkdirSync(gobin, { recursive: true })
  const started = Date.now()
  const args = [
    'install',
    // One package at a time: the box has 2 cores and the build otherwise takes all the memory.
    '-p',
    '1',
    '-ldflags',
    `-X ${TELEGRAF_MODULE}/internal.Version=${TELEGRAF_VERSION}`,
    `${TELEGRAF_MODULE}/cmd/telegraf@v${TELEGRAF_VERSION}`,
  ]
  log(
    `telegraf: building ${TELEGRAF_VERSION} into ${gobin} (go ${args.join(' ')}); cold, this takes 15-30 min`,
  )
  const ticker = setInterval(() => {
    log(`telegraf: still building (${Math.round((Date.now() - started) / 1000)} s)`)
  }, 60_000)
  try {
    const exit = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('go', args, {
        env: { ...env, GOBIN: gobin, GOFLAGS: env.GOFLAGS ?? '' },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      child.once('error', reject)
      child.once('exit', (code) => resolve(code))
    })
    if (exit !== 0) {
      throw new PipelineError('STACK_PREREQUISITE_MISSING', `go install of Telegraf failed (exit ${exit})`)
    }
  } finally {
    clearInterval(ticker)
  }
  const built = telegrafBinaryVersion(binary)
  if (built !== TELEGRAF_VERSION) {
    throw new PipelineError(
      'STACK_PREREQUISITE_MISSING',
      `${binary} reports version ${built ?? 'none'} after go install, expected ${TELEGRAF_VERSION}`,
    )
  }
  log(`telegraf: built ${TELEGRAF_VERSION} in ${Math.round((Date.now() - started) / 1000)} s`)
  return binary
}
